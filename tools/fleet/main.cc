// lifeline-fleet: the supervising agency's side of issue 19, on its own
// machine with its own store. `run` subscribes to the agency's broker and
// keeps the view of every unit's box; `status` shows it with the time left to
// each review; `review` records one. Its own program rather than a `lifeline`
// subcommand: it runs where no lifelined does, and the box's CLI stays free of
// the MQTT library.
#include <CLI/CLI.hpp>

#include <csignal>

#include "daemon/core/log.h"
#include "tools/fleet/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"lifeline-fleet: every unit's box, and the supervising agency's own review deadlines"};
  app.require_subcommand(1);
  app.fallthrough();
  std::string config, log_level = "info";
  app.add_option("--config", config, "lifeline-fleet's configuration (see config/fleet.toml)")->required();
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off");
  auto* run = app.add_subcommand("run", "subscribe and keep the view until SIGINT or SIGTERM");
  bool as_json = false;
  auto* status = app.add_subcommand("status", "units, their reports with the time left to review, refused messages");
  status->add_flag("--json", as_json, "the view as one JSON object");
  lifeline::fleet::ReviewArgs review_args;
  int level = 0;
  bool keep = false;
  auto* review = app.add_subcommand("review", "record the review of a unit's report: the level kept or changed");
  review->add_option("UNIT", review_args.unit, "the unit")->required();
  review->add_option("REPORT", review_args.report_id, "the report's id")->required();
  auto* keep_flag = review->add_flag("--keep", keep, "the level is right as reported");
  auto* level_option = review->add_option("--level", level, "the level the agency sets, 1-4")->check(CLI::Range(1, 4));
  keep_flag->excludes(level_option);
  review->add_option("--reason", review_args.reason, "why, for the record")->required();
  review->add_option("--by", review_args.by, "who reviewed")->required();
  CLI11_PARSE(app, argc, argv);
  signal(SIGPIPE, SIG_IGN);  // a broker gone mid-write is an error to handle, not the end of the program
  if (lifeline::Status s = lifeline::InitLogging(log_level, "lifeline-fleet"); !s.ok()) {
    std::cerr << "lifeline-fleet: " << s.message() << "\n";
    return 2;
  }
  try {
    if (run->parsed()) return lifeline::fleet::RunSubscriber(config);
    if (status->parsed()) return lifeline::fleet::ShowStatus(config, as_json);
    if (!keep && level == 0) {
      std::cerr << "lifeline-fleet: review: give --keep or --level N\n";
      return 2;
    }
    if (level) review_args.level = level;
    return lifeline::fleet::RecordReview(config, review_args);
  } catch (const std::exception& e) {
    std::cerr << "lifeline-fleet: fatal: " << e.what() << "\n";
    return 3;
  }
}
