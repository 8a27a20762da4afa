// site-sim: the reference national-site server for tests, drills and the demo.
//   site-sim serve --dir DIR [--host ADDR] [--port N] [--admin-port N] [--ledger FILE]
//                  [--ready-file FILE] [--plain] [--seed N] [--log-level L]
//   site-sim count --ledger FILE (--key K | --report-id ID [--revision N])
//   site-sim certs --dir DIR
// `serve` prints one JSON line once listening (also written to --ready-file):
// {"api_port":..,"admin_port":..,"scheme":"https","ca":..,"pin":..,"ledger":..}
#include <spdlog/spdlog.h>

#include <asio.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "tools/site-sim/certs.h"
#include "tools/site-sim/ledger.h"
#include "tools/site-sim/server.h"

namespace {

constexpr const char* kUsage =
    "usage: site-sim serve --dir DIR [--host ADDR] [--port N] [--admin-port N] [--ledger FILE]\n"
    "                      [--ready-file FILE] [--plain] [--seed N] [--log-level L]\n"
    "       site-sim count --ledger FILE (--key K | --report-id ID [--revision N])\n"
    "       site-sim certs --dir DIR\n";

int Fail(const std::string& message) {
  std::fprintf(stderr, "site-sim: %s\n", message.c_str());
  return 2;
}

// Parses "--name value" pairs and bare "--flag"s after the command word.
bool ParseFlags(int argc, char** argv, std::map<std::string, std::string>* out,
                std::string* error) {
  static const std::map<std::string, bool> kTakesValue = {
      {"--dir", true},  {"--host", true},      {"--port", true},       {"--admin-port", true},
      {"--ledger", true}, {"--ready-file", true}, {"--plain", false}, {"--seed", true},
      {"--log-level", true},
      {"--key", true},  {"--report-id", true}, {"--revision", true}};
  for (int i = 2; i < argc; ++i) {
    auto it = kTakesValue.find(argv[i]);
    if (it == kTakesValue.end()) {
      *error = std::string("unknown option ") + argv[i];
      return false;
    }
    if (it->second && i + 1 >= argc) {
      *error = it->first + " needs a value";
      return false;
    }
    (*out)[it->first] = it->second ? argv[++i] : "1";
  }
  return true;
}

bool ParseNumber(const std::string& s, uint64_t max, uint64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > max) return false;
  *out = v;
  return true;
}

int Count(std::map<std::string, std::string>& f) {
  if (!f.count("--ledger") || f.count("--key") == f.count("--report-id")) return Fail(kUsage);
  std::string error;
  auto ledger = sitesim::Ledger::Open(f["--ledger"], true, &error);
  if (!ledger) return Fail(error);
  uint64_t revision = 0;
  if (f.count("--revision") && !ParseNumber(f["--revision"], 1000, &revision)) {
    return Fail("--revision must be 0..1000");
  }
  int64_t n = f.count("--key") ? ledger->CountByKey(f["--key"])
                               : ledger->CountByReport(f["--report-id"], static_cast<int>(revision));
  if (n < 0) return Fail("cannot read the ledger");
  std::printf("%lld\n", static_cast<long long>(n));
  return 0;
}

bool WriteReadyFile(const std::string& path, const std::string& line) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << line << "\n";
    if (!out.flush()) return false;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  return !ec;
}

// --host is where both listeners bind. A specific address also goes into the server
// certificate, so a client reaching it from another network namespace can verify it.
bool ParseHost(const std::string& s, std::string* bind_address, std::string* cert_ip) {
  asio::error_code ec;
  asio::ip::address addr = asio::ip::make_address(s, ec);
  if (ec) return false;
  *bind_address = addr.to_string();
  if (!addr.is_unspecified()) *cert_ip = *bind_address;
  return true;
}

int Serve(std::map<std::string, std::string>& f) {
  if (!f.count("--dir")) return Fail(kUsage);
  spdlog::set_level(spdlog::level::from_str(f.count("--log-level") ? f["--log-level"] : "info"));
  std::string error;
  sitesim::ServerOptions opts;
  std::string cert_ip;
  if (f.count("--host") && !ParseHost(f["--host"], &opts.bind_address, &cert_ip)) {
    return Fail("bad --host (an IPv4 or IPv6 address)");
  }
  sitesim::CertPaths certs;
  if (!sitesim::EnsureCerts(f["--dir"], &certs, &error, cert_ip)) return Fail(error);
  std::string ledger_path = f.count("--ledger") ? f["--ledger"] : f["--dir"] + "/ledger.sqlite";
  auto ledger = sitesim::Ledger::Open(ledger_path, false, &error);
  if (!ledger) return Fail(error);
  uint64_t v = 0;
  if (f.count("--port")) {
    if (!ParseNumber(f["--port"], 65535, &v)) return Fail("bad --port");
    opts.api_port = static_cast<uint16_t>(v);
  }
  if (f.count("--admin-port")) {
    if (!ParseNumber(f["--admin-port"], 65535, &v)) return Fail("bad --admin-port");
    opts.admin_port = static_cast<uint16_t>(v);
  }
  if (f.count("--seed") && !ParseNumber(f["--seed"], UINT64_MAX, &opts.seed)) {
    return Fail("bad --seed");
  }
  opts.plain = f.count("--plain") > 0;
  asio::io_context io;
  sitesim::Server server(io, opts, ledger.get(), certs);
  if (!server.Start(&error)) return Fail(error);
  nlohmann::json ready = {{"api_port", server.api_port()}, {"admin_port", server.admin_port()},
                          {"scheme", opts.plain ? "http" : "https"}, {"ca", certs.ca},
                          {"pin", certs.pin}, {"ledger", ledger_path}};
  std::string line = ready.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (f.count("--ready-file") && !WriteReadyFile(f["--ready-file"], line)) {
    return Fail("cannot write " + f["--ready-file"]);
  }
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&io](const asio::error_code&, int) { io.stop(); });
  io.run();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Fail(kUsage);
  std::string command = argv[1];
  std::map<std::string, std::string> flags;
  std::string error;
  if (!ParseFlags(argc, argv, &flags, &error)) return Fail(error + "\n" + kUsage);
  try {
    if (command == "serve") return Serve(flags);
    if (command == "count") return Count(flags);
    if (command == "certs") {
      sitesim::CertPaths certs;
      if (!flags.count("--dir")) return Fail(kUsage);
      if (!sitesim::EnsureCerts(flags["--dir"], &certs, &error)) return Fail(error);
      std::printf("{\"ca\":\"%s\",\"pin\":\"%s\"}\n", certs.ca.c_str(), certs.pin.c_str());
      return 0;
    }
  } catch (const std::exception& e) {
    return Fail(std::string("fatal: ") + e.what());
  }
  return Fail(kUsage);
}
