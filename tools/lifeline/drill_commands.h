// The drill programme's commands that need no lifelined: the scenario library,
// the sealed plan and its checks, and the printed time record and results
// report. Exit status as commands.h: 0 done, 1 refused or failed check, 2 environment.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

#include "tools/lifeline/commands.h"

namespace lifeline::cli {

struct DrillPlanArgs {
  std::string roster;
  std::string scenarios = "config/drills";
  std::string seed;  // "" = random from the kernel
  std::string out;   // the sealed plan file ("" = not written)
  int units = 0;     // draw at least this many (0 = the rule set's fraction)
};

struct DrillCheckArgs {
  std::string file;        // the revealed sealed-plan file
  std::string commitment;  // as journaled before the drill
  bool journaled = false;  // instead: the commitment lifelined journaled for this file's seal
  std::string roster;      // with scenarios: also redraw and compare ("" = skip)
  std::string scenarios = "config/drills";
};

struct DrillPrintArgs {
  std::string file;   // a drill record (lifeline.drill-record/1)
  std::string drill;  // or a finished drill's id (or its report's): its record from lifelined
  std::string save;   // that record's JSON, written here
  std::string html, pdf, csv;
};

// Registers scenarios, plan, reveal, check-seal, record and results under the
// `drill` command; the function returned runs the one that was parsed, or
// returns -1 when none of them was.
std::function<int(const Context&)> AddDrillProgramme(CLI::App* drill);

int DrillScenarios(const Context& ctx, const std::string& dir);
int DrillPlan(const Context& ctx, const DrillPlanArgs& args);
int DrillReveal(const Context& ctx, const std::string& file);
// Journals the seal of a sealed plan file in lifelined (POST /v1/drill-plans).
int DrillSeal(const Context& ctx, const std::string& file);
int DrillCheckSeal(const Context& ctx, const DrillCheckArgs& args);
int DrillRecord(const Context& ctx, const DrillPrintArgs& args);
int DrillResults(const Context& ctx, const DrillPrintArgs& args);

}  // namespace lifeline::cli
