// lifeline-sms-test: sends one SMS through a modem and prints the evidence.
//   lifeline-sms-test --device /dev/ttyUSB2 [--ledger FILE] [--id ID] [--pin PIN]
//                     [--wait-reports SECONDS] [--validity-minutes N] NUMBER TEXT
#include <cstdlib>
#include <iostream>
#include <string>

#include "daemon/channels/sms/sms_test.h"
#include "daemon/core/log.h"

namespace {

int Usage() {
  std::cerr << "usage: lifeline-sms-test --device DEV [--ledger FILE] [--id ID] [--pin PIN]\n"
               "         [--wait-reports SECONDS] [--validity-minutes N] [--attempts N]\n"
               "         [--retry-ms N] [--log-level LEVEL] NUMBER TEXT\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  lifeline::sms::SmsTestOptions o;
  o.ledger_path = "sms-ledger.sqlite";
  std::string log_level = "warn";
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--", 0) != 0) {
      positional.push_back(a);
      continue;
    }
    if (i + 1 >= argc) return Usage();
    const std::string v = argv[++i];
    if (a == "--device")
      o.device = v;
    else if (a == "--ledger")
      o.ledger_path = v;
    else if (a == "--id")
      o.message_id = v;
    else if (a == "--pin")
      o.pin = v;
    else if (a == "--wait-reports")
      o.report_timeout = std::chrono::seconds(std::atoi(v.c_str()));
    else if (a == "--validity-minutes")
      o.validity = std::chrono::minutes(std::atoi(v.c_str()));
    else if (a == "--attempts")
      o.max_attempts_per_part = std::atoi(v.c_str());
    else if (a == "--retry-ms")
      o.retry_delay = std::chrono::milliseconds(std::atoi(v.c_str()));
    else if (a == "--log-level")
      log_level = v;
    else
      return Usage();
  }
  if (positional.size() != 2 || o.max_attempts_per_part < 1 || o.retry_delay.count() < 1) {
    return Usage();
  }
  o.number = positional[0];
  o.text = positional[1];
  if (auto s = lifeline::InitLogging(log_level, "lifeline-sms-test"); !s.ok()) {
    std::cerr << s.ToString() << "\n";
    return 2;
  }
  try {
    return lifeline::sms::RunSmsTest(o, std::cout);
  } catch (const std::exception& e) {  // main() alone catches; nothing below throws by design
    std::cerr << "lifeline-sms-test: " << e.what() << "\n";
    return 1;
  }
}
