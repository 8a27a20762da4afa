// fax-line: runs a simulated fax line (see fax_line.h) until SIGINT/SIGTERM.
// Usage: fax-line --link=PATH --rx-dir=DIR [--csi=ID | --csi-hex=BYTES] [--busy=N] [--no-answer=N]
//        [--cut=N] [--no-dialtone=N] [--answer-delay-ms=N] [--no-answer-ms=N]
//        [--cut-after-ms=N] [--speed=N] [--no-ecm] [--verbose]
// --speed=N (1..16, default 1) runs the line N times faster than real time:
// same protocol, same audio, every delay (answer, no answer, cut) in line time.
// Tests use it to shorten calls; the DTE's timeouts only get more generous.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "tools/fax-line/fax_line.h"

namespace {

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop.store(true); }

bool TakeValue(std::string_view arg, std::string_view key, std::string* out) {
  if (arg.substr(0, key.size()) != key || arg.size() <= key.size() || arg[key.size()] != '=') {
    return false;
  }
  *out = std::string(arg.substr(key.size() + 1));
  return true;
}

bool ParseMs(const std::string& text, std::chrono::milliseconds* out) {
  char* end = nullptr;
  long v = std::strtol(text.c_str(), &end, 10);
  if (end == text.c_str() || *end != '\0' || v < 0 || v > 600000) return false;
  *out = std::chrono::milliseconds(v);
  return true;
}

bool ParseSpeed(const std::string& text, int* out) {
  char* end = nullptr;
  long v = std::strtol(text.c_str(), &end, 10);
  if (end == text.c_str() || *end != '\0' || v < 1 || v > 16) return false;
  *out = static_cast<int>(v);
  return true;
}

// --csi-hex: an identity of any bytes, as an odd fax machine may send (the
// receiver's code must treat them as bytes, not as text).
bool ParseHex(const std::string& hex, std::string* out) {
  if (hex.size() % 2 != 0 || hex.size() > 40) return false;
  out->clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    char* end = nullptr;
    std::string byte = hex.substr(i, 2);
    long v = std::strtol(byte.c_str(), &end, 16);
    if (end != byte.c_str() + 2) return false;
    out->push_back(static_cast<char>(v));
  }
  return true;
}

bool ParseArg(std::string_view arg, lifeline::faxline::LineOptions* o) {
  std::string v;
  if (arg == "--no-ecm") return o->ecm = false, true;
  if (arg == "--verbose") return o->verbose = true, true;
  if (TakeValue(arg, "--link", &o->link_path)) return true;
  if (TakeValue(arg, "--rx-dir", &o->rx_dir)) return true;
  if (TakeValue(arg, "--csi-hex", &v)) return ParseHex(v, &o->csi);
  if (TakeValue(arg, "--csi", &o->csi)) return true;
  if (TakeValue(arg, "--busy", &o->busy_number)) return true;
  if (TakeValue(arg, "--no-answer", &o->no_answer_number)) return true;
  if (TakeValue(arg, "--cut", &o->cut_number)) return true;
  if (TakeValue(arg, "--no-dialtone", &o->no_dialtone_number)) return true;
  if (TakeValue(arg, "--answer-delay-ms", &v)) return ParseMs(v, &o->answer_delay);
  if (TakeValue(arg, "--no-answer-ms", &v)) return ParseMs(v, &o->no_answer_after);
  if (TakeValue(arg, "--cut-after-ms", &v)) return ParseMs(v, &o->cut_after);
  if (TakeValue(arg, "--speed", &v)) return ParseSpeed(v, &o->speed);
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  lifeline::faxline::LineOptions options;
  for (int i = 1; i < argc; ++i) {
    if (!ParseArg(argv[i], &options)) {
      std::fprintf(stderr, "fax-line: bad argument '%s'\n", argv[i]);
      return 2;
    }
  }
  if (options.link_path.empty() || options.rx_dir.empty()) {
    std::fprintf(stderr, "fax-line: --link=PATH and --rx-dir=DIR are required\n");
    return 2;
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGPIPE, SIG_IGN);
  lifeline::faxline::FaxLine line(options);
  if (auto st = line.Open(); !st.ok()) {
    std::fprintf(stderr, "fax-line: %s\n", st.ToString().c_str());
    return 1;
  }
  std::fprintf(stdout, "fax-line: modem on %s\n", options.link_path.c_str());
  std::fflush(stdout);
  if (auto st = line.Run(g_stop); !st.ok()) {
    std::fprintf(stderr, "fax-line: %s\n", st.ToString().c_str());
    return 1;
  }
  return 0;
}
