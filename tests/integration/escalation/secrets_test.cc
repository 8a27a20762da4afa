// Secrets never leave their files: the real lifelined, at debug log level,
// enters a SIM PIN read from a 0600 file into modem-sim's locked SIM, logs in
// to a real SMTP server (aiosmtpd, AUTH over STARTTLS) with a password from a
// 0600 file, and hashes a console password given through the socket API. Then
// every byte it wrote (its log, the store with its WAL, keys, evidence) is
// searched for each secret, and every file it made must be its owner's alone.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "daemon/core/uuid.h"
#include "tests/integration/email/smtp_server_process.h"
#include "tests/integration/sms/sim_process.h"
#include "tests/support/daemon_harness.h"
#include "tests/support/report_factory.h"

namespace lifeline {
namespace {

namespace fs = std::filesystem;
using testing_support::HttpOverUnix;

constexpr char kPin[] = "80514273";
constexpr char kSmtpPassword[] = "Secr3t-smtp-ZX9q";
constexpr char kConsolePassword[] = "Adm1n-pass-QW7e-long";

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteSecret(const std::string& path, const std::string& value) {
  std::ofstream(path) << value << "\n";
  chmod(path.c_str(), 0600);
}

bool WaitFor(const std::function<bool()>& done, int seconds) {
  for (int i = 0; i < seconds * 5; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return done();
}

TEST(SecretsTest, NoSecretInAnyByteLifelinedWrites) {
  const fs::path dir = fs::path(::testing::TempDir()) / ("secrets-" + NewUuidV4().value().substr(0, 8));
  fs::create_directories(dir / "modem");
  auto modem = sms::testing::SimProcess::Start((dir / "modem").string(), {"--pin", kPin});
  ASSERT_TRUE(modem.ok()) << modem.status().ToString();
  email::testing::ServerOptions so;
  so.tls = true;
  so.auth = std::string("lifeline:") + kSmtpPassword;
  auto smtp = email::testing::SmtpServerProcess::Start("secrets-" + NewUuidV4().value().substr(0, 8), so);
  ASSERT_TRUE(smtp.ok()) << smtp.status().ToString();

  const std::string pin_file = (dir / "sim-pin").string(), pw_file = (dir / "smtp-password").string();
  WriteSecret(pin_file, kPin);
  WriteSecret(pw_file, kSmtpPassword);
  std::ofstream(dir / "recipients.toml")
      << "[[recipient]]\nkey = \"superior\"\nrole = \"superior_agency\"\nname = \"superior (test)\"\n"
         "source = \"test\"\nverified = \"2026-11-01\"\nchannels = [\n"
         "  { kind = \"sms\", address = \"+886912000101\" },\n  { kind = \"email\", address = \"soc@superior.test\" },\n]\n\n"
         "[[recipient]]\nkey = \"national_centre\"\nrole = \"national_centre\"\nname = \"centre (test)\"\n"
         "source = \"test\"\nverified = \"2026-11-01\"\nchannels = [\n"
         "  { kind = \"email\", address = \"report@centre.test\" },\n]\n\n"
         "[[drill_recipient]]\nkey = \"superior\"\nrole = \"superior_agency\"\nname = \"drill superior\"\n"
         "source = \"test\"\nverified = \"2026-11-01\"\nchannels = [\n  { kind = \"phone\", address = \"07-5550901\" },\n]\n\n"
         "[[drill_recipient]]\nkey = \"national_centre\"\nrole = \"national_centre\"\nname = \"drill centre\"\n"
         "source = \"test\"\nverified = \"2026-11-01\"\nchannels = [\n  { kind = \"phone\", address = \"02-5550902\" },\n]\n";
  const std::string config =
      "[rules]\ntime_scale = 60\n"
      "[site]\nbase_url = \"https://127.0.0.1:9/\"\nconnect_timeout_ms = 200\ntotal_timeout_ms = 500\n"
      "[escalation]\nrecipients_file = \"" + (dir / "recipients.toml").string() + "\"\ntick_ms = 200\n"
      "[sms]\ndevice = \"" + (*modem)->link() + "\"\npin_file = \"" + pin_file + "\"\nretry_delay_ms = 500\n"
      "[email]\nhost = \"127.0.0.1\"\nport = " + std::to_string((*smtp)->port()) +
      "\nsecurity = \"starttls\"\nca_file = \"" + (*smtp)->ca_file() +
      "\"\nusername = \"lifeline\"\npassword_file = \"" + pw_file + "\"\nretry_delay_ms = 500\n"
      "[agency]\nname = \"測試機關\"\ncontact_phone = \"07-5550000\"\n";
  testing_support::DaemonProcess daemon((dir / "state").string(), {}, config, "debug");
  ASSERT_TRUE(daemon.Start()) << daemon.log();

  // A console account: its password crosses the API and must come out hashed only.
  nlohmann::json user = {{"name", "officer"}, {"role", "operator"}, {"password", kConsolePassword}};
  auto added = HttpOverUnix(daemon.socket_path(), "POST", "/v1/users", user.dump());
  ASSERT_EQ(added.status, 201) << added.body.dump();
  user["password"] = std::string("x") + kConsolePassword;  // a second, refused add: its error
  EXPECT_EQ(HttpOverUnix(daemon.socket_path(), "POST", "/v1/users", user.dump()).status, 409);

  auto report = testing_support::AwareNow(testing_support::NewDocument());
  report["impact"] = {{"confidentiality", "none"}, {"integrity", "none"}, {"availability", 2}};
  auto filed = HttpOverUnix(daemon.socket_path(), "POST", "/v1/reports", report.dump());
  ASSERT_EQ(filed.status, 201) << filed.body.dump();
  ASSERT_TRUE(WaitFor([&] { return !(*modem)->Submits().empty(); }, 120)) << "the PIN unlocked the SIM\n"
                                                                          << daemon.log();
  ASSERT_TRUE(WaitFor([&] { return !(*smtp)->Messages().empty(); }, 120)) << "AUTH succeeded\n" << daemon.log();
  EXPECT_NE((*smtp)->Messages()[0].envelope_json.find("\"authenticated\": true"), std::string::npos)
      << (*smtp)->Messages()[0].envelope_json;
  ASSERT_EQ(daemon.Kill(SIGTERM), 0) << daemon.log();

  // Every byte it wrote, the log included.
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir / "state")) {
    if (!entry.is_regular_file()) continue;
    ++files;
    const std::string bytes = Slurp(entry.path());
    for (const char* secret : {kPin, kSmtpPassword, kConsolePassword}) {
      EXPECT_EQ(bytes.find(secret), std::string::npos) << entry.path() << " holds a secret";
    }
    if (entry.path().filename() == "test-config.toml" || entry.path().filename() == "daemon.log") continue;
    const auto perms = entry.status().permissions();
    EXPECT_EQ(perms & (fs::perms::group_all | fs::perms::others_all), fs::perms::none)
        << entry.path() << " can be read by others than lifeline";
  }
  EXPECT_GT(files, 3);
  EXPECT_NE(daemon.log().find("\"pin\":\"ready\""), std::string::npos) << "the SIM was unlocked with the PIN";
  if (!HasFailure()) fs::remove_all(dir);
}

}  // namespace
}  // namespace lifeline
