// fax_bench: how long the fax channel takes, beside baselines from the same run.
//   render: stage-1 form -> pages -> TIFF-F (MH), median of N runs, beside efix
//           turning a text page into a G3 TIFF (Debian's efax package).
//   calls:  one sparse page and the whole form through tools/fax-line at 14.4k,
//           the form once per image coding the sender can offer (MH, the
//           baseline every fax machine takes; MR; T.6, the default when the
//           receiver supports it), beside efax sending efix's page through the
//           same line, and the spandsp back-to-back reference of about 21 s.
// Usage: fax_bench [--renders N] [--no-calls] [--speed N]
//   --speed N runs the line N times faster (tools/fax-line --speed); the
//   figures are then wall time of an N-times faster line, not line time.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "daemon/channels/fax/fax.h"
#include "tests/integration/fax/fax_line_process.h"

namespace {

using namespace lifeline::fax;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

lifeline::Report SampleReport() {
  std::ifstream in(std::string(LIFELINE_SOURCE_DIR) + "/config/sample-report.json");
  std::stringstream ss;
  ss << in.rdbuf();
  auto outcome = lifeline::ValidateReport(ss.str());
  if (!outcome.ok()) {
    std::fprintf(stderr, "sample report invalid: %s\n", outcome.Describe().c_str());
    std::exit(1);
  }
  return *outcome.report;
}

int Shell(const std::string& cmd) {
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

void BenchRender(const std::string& dir, int runs) {
  const auto report = SampleReport();
  FaxNotice notice;
  notice.reason = "bench";
  std::vector<double> ours, efix;
  int pages = 0;
  for (int i = 0; i < runs; ++i) {
    auto t0 = Clock::now();
    auto n = RenderFormTiff(report, notice, {}, dir + "/form.tif");
    ours.push_back(Seconds(t0, Clock::now()));
    if (!n.ok()) std::exit(1);
    pages = *n;
    t0 = Clock::now();
    Shell("cd " + dir + " && efix -i text -o tiffg3 -n efix.%03d page.txt 2>/dev/null");
    efix.push_back(Seconds(t0, Clock::now()));
  }
  std::printf("render+encode  lifeline form (%d pages, fine, TIFF-F): %7.3f s median of %d  (%.3f s/page)\n",
              pages, Median(ours), runs, Median(ours) / pages);
  std::printf("  baseline     efix text page -> G3 TIFF (1 page):   %7.3f s median of %d\n",
              Median(efix), runs);
}

// One call of `tiff` with the sender's codings limited to `best`; prints its time.
void TimedCall(lifeline::testing::FaxLineProcess& line, const std::string& tiff, Coding best, const char* label) {
  FaxSendOptions o;
  o.device = line.modem();
  o.best_coding = best;
  const auto t0 = Clock::now();
  auto ev = SendFaxAttempt(o, "0227331655", tiff);
  const double s = Seconds(t0, Clock::now());
  std::printf("call 14.4k     lifeline form, offered up to %-13s %6.1f s  %s, used %s%s\n", label, s,
              ev.success() ? "MCF" : "FAILED", ev.coding.c_str(), ev.ecm ? ", ECM" : "");
}

void BenchCalls(const std::string& dir, int speed) {
  std::filesystem::create_directories(dir + "/line");
  lifeline::testing::FaxLineProcess line(dir + "/line");
  if (!line.Start({"--answer-delay-ms=0", "--speed=" + std::to_string(speed)})) {
    std::fprintf(stderr, "fax-line did not start (%s)\n", (dir + "/line/fax-line.log").c_str());
    std::exit(1);
  }
  FaxSendOptions o;
  o.device = line.modem();
  auto t0 = Clock::now();
  auto sparse = RunFaxTest(o, "0227331655", nullptr, {}, dir);
  const double sparse_s = Seconds(t0, Clock::now());
  std::printf("call 14.4k     lifeline sparse test page (1 page, ECM): %6.1f s  %s\n", sparse_s,
              sparse.ok() && sparse->success() ? "MCF" : "FAILED");
  TimedCall(line, dir + "/form.tif", Coding::kMh, "MH:");
  TimedCall(line, dir + "/form.tif", Coding::kMr, "MR:");
  TimedCall(line, dir + "/form.tif", Coding::kT6, "T.6:");
  t0 = Clock::now();
  const int efax_rc = Shell("cd " + dir + " && timeout 150 efax -d " + line.modem() +
                            " -o1 -t 0227331655 efix.001 >efax.log 2>&1");
  const double efax_s = Seconds(t0, Clock::now());
  std::printf("  baseline     efax, efix text page (1 page, no ECM):   %6.1f s  %s\n", efax_s,
              efax_rc == 0 ? "ok" : "FAILED");
  std::printf("  reference    spandsp back-to-back, sparse page:        ~21   s  (issue 6)\n");
}

}  // namespace

int main(int argc, char** argv) {
  int renders = 5, speed = 1;
  bool calls = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--renders" && i + 1 < argc) renders = std::max(1, std::atoi(argv[++i]));
    if (a == "--no-calls") calls = false;
    if (a == "--speed" && i + 1 < argc) speed = std::clamp(std::atoi(argv[++i]), 1, 16);
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // children (efix, efax) must not repeat our output
  const std::string dir = lifeline::testing::FreshTestDir("bench");
  std::ofstream(dir + "/page.txt") << "lifeline fax bench page\nA sparse text page for the baseline.\n";
  BenchRender(dir, renders);
  if (calls) BenchCalls(dir, speed);
  return 0;
}
