// Developer probe (not a test): sends the sample report's form through a modem.
// Usage: fax_send_probe DEVICE NUMBER [--no-ecm] [--std] [--mh|--mr]
#include <cstdio>
#include <fstream>
#include <sstream>

#include "daemon/channels/fax/fax.h"

int main(int argc, char** argv) {
  using namespace lifeline::fax;
  if (argc < 3) return 2;
  std::ifstream in(std::string(LIFELINE_SOURCE_DIR) + "/config/sample-report.json");
  std::stringstream ss;
  ss << in.rdbuf();
  auto outcome = lifeline::ValidateReport(ss.str());
  if (!outcome.ok()) return 3;
  FaxSendOptions o;
  o.device = argv[1];
  o.trace = true;
  RenderOptions ro;
  for (int i = 3; i < argc; ++i) {
    if (std::string(argv[i]) == "--no-ecm") o.ecm = false;
    if (std::string(argv[i]) == "--std") ro.resolution = Resolution::kStandard;
    if (std::string(argv[i]) == "--mh") o.best_coding = Coding::kMh;
    if (std::string(argv[i]) == "--mr") o.best_coding = Coding::kMr;
    if (std::string(argv[i]) == "--test-page") {
      auto ev = RunFaxTest(o, argv[2], nullptr, {}, "/tmp/probe");
      std::printf("%s\n", ev.ok() ? ev->ToJson().dump(2).c_str() : ev.status().ToString().c_str());
      return 0;
    }
  }
  FaxNotice notice;
  notice.reason = "network down";
  auto n = RenderFormTiff(*outcome.report, notice, ro, "/tmp/probe.tif");
  if (!n.ok()) return 4;
  auto ev = SendFaxAttempt(o, argv[2], "/tmp/probe.tif");
  std::printf("%s\n", ev.ToJson().dump(2).c_str());
  return ev.success() ? 0 : 1;
}
