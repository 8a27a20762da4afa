// soak_bench: the real lifelined, site-sim, modem-sim and fax-line for as long as
// asked (--minutes), on a short clock (a 5-minute legal hour), with reports filed
// and revised all along, random faults at the site (refused, reset, errors) and at
// the modem (temporary +CMS errors, reboots, a silent modem), and kill -9 of
// lifelined at random (none with --no-kill, so one life lasts the whole run and
// its memory can be read over it). Then the faults stop and every report is given time to
// reach the site. It prints what happened and checks what must hold:
//   - every report revision lifelined acknowledged (201) is at the site exactly once;
//   - every notification is confirmed before its deadline, or its miss is journaled;
//   - the journal verifies;
//   - lifelined's resident memory and open files at the end of its longest life,
//     beside the same figures at its start (the baseline, measured in this run)
//     and 5 minutes in (once its first escalations have run their course).
// Exit status 0 when everything held. Bounded by --minutes plus a 10-minute drain.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "daemon/core/time_format.h"
#include "tests/integration/escalation/story.h"
#include "tests/support/report_factory.h"

namespace lifeline::story {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Sample {
  long rss_kib = 0;
  long anon_kib = 0, file_kib = 0, shmem_kib = 0;  // what VmRSS is made of: private, files' pages, shared memory
  int open_files = 0;
};

Sample Measure(int pid) {
  Sample s;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) s.rss_kib = std::stol(line.substr(6));
    if (line.rfind("RssAnon:", 0) == 0) s.anon_kib = std::stol(line.substr(8));
    if (line.rfind("RssFile:", 0) == 0) s.file_kib = std::stol(line.substr(8));
    if (line.rfind("RssShmem:", 0) == 0) s.shmem_kib = std::stol(line.substr(9));
  }
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++s.open_files;
  }
  return s;
}

struct Life {
  Clock::time_point began, ended{};  // ended: at its kill; {} while it lives
  Sample first, warm, last;  // warm: 5 minutes in (first until then)
  double minutes() const {
    const auto end = ended == Clock::time_point{} ? Clock::now() : ended;
    return std::chrono::duration<double>(end - began).count() / 60;
  }
};

int Run(int minutes, unsigned seed, bool kills_allowed) {
  std::mt19937 rng(seed);
  auto chance = [&](double p) { return std::uniform_real_distribution<>(0, 1)(rng) < p; };
  Story s("soak");
  s.time_scale = 12;  // a 5-minute hour: escalations run their whole course many times
  if (!s.Start()) {
    std::cerr << "soak: could not start\n" << s.Log();
    return 2;
  }
  std::vector<Life> lives;
  auto begin_life = [&] {
    std::this_thread::sleep_for(std::chrono::seconds(2));
    Sample m = Measure(s.daemon().pid());
    lives.push_back({Clock::now(), {}, m, m, m});
  };
  begin_life();

  std::map<std::string, int> acknowledged;  // report id -> latest revision answered 201
  std::map<std::string, json> documents;
  int faults = 0, kills = 0, revisions = 0, refused_while_down = 0;
  const auto end = Clock::now() + std::chrono::minutes(minutes);
  auto next_report = Clock::now(), next_fault = Clock::now() + std::chrono::seconds(20);
  while (Clock::now() < end) {
    if (Clock::now() >= next_report) {
      next_report = Clock::now() + std::chrono::seconds(std::uniform_int_distribution<>(8, 25)(rng));
      json doc;
      std::string path = "/v1/reports";
      if (!documents.empty() && chance(0.25)) {  // a revision of an earlier report
        auto it = std::next(documents.begin(), std::uniform_int_distribution<size_t>(0, documents.size() - 1)(rng));
        doc = it->second;
        doc["revision"] = doc["revision"].get<int>() + 1;
        doc["description"] = doc["description"].get<std::string>() + "（第 " + std::to_string(doc["revision"].get<int>()) + " 版：影響範圍更新）";
        path += "/" + it->first + "/revisions";
      } else {
        doc = testing_support::AwareNow(testing_support::NewDocument());
        doc["impact"] = {{"confidentiality", "none"}, {"integrity", "none"},
                         {"availability", std::uniform_int_distribution<>(1, 3)(rng)}};
      }
      auto reply = testing_support::HttpOverUnix(s.daemon().socket_path(), "POST", path, doc.dump(), 5000);
      if (reply.status == 201) {
        const std::string id = doc["id"];
        acknowledged[id] = doc["revision"].get<int>();
        documents[id] = doc;
        if (doc["revision"].get<int>() > 1) ++revisions;
      } else if (reply.status == 0) {
        ++refused_while_down;  // lifelined was restarting: not acknowledged, nothing owed
      }
    }
    if (Clock::now() >= next_fault) {
      next_fault = Clock::now() + std::chrono::seconds(std::uniform_int_distribution<>(10, 40)(rng));
      ++faults;
      switch (std::uniform_int_distribution<>(0, 7)(rng)) {
        case 0: s.site().SetFaults({{"refuse", true}}); break;
        case 1: s.site().SetFaults(nullptr); break;
        case 2: s.site().SetFaults({{"reset", true}}); break;
        case 3: s.site().SetFaults({{"error_rate", 0.3}, {"error_status", 503}}); break;
        case 4: (void)s.modem().Control("cms 38 on 1"); break;
        case 5: (void)s.modem().Control("reboot 500"); break;
        case 6: (void)s.modem().Control("silent-at 1"); break;
        default:
          (void)s.modem().Control("silent off");
          if (!kills_allowed) break;
          lives.back().last = Measure(s.daemon().pid());
          lives.back().ended = Clock::now();
          s.KillDaemon(SIGKILL);
          ++kills;
          if (!s.RestartDaemon()) {
            std::cerr << "soak: lifelined did not come back after kill -9\n" << s.Log();
            return 1;
          }
          begin_life();
      }
    }
    lives.back().last = Measure(s.daemon().pid());
    if (lives.back().minutes() < 5) lives.back().warm = lives.back().last;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }

  // The faults end; every report is owed its place at the site.
  s.site().SetFaults(nullptr);
  (void)s.modem().Control("silent off");
  (void)s.modem().Control("cms off");
  auto settled = [&] {
    for (const auto& [id, revision] : acknowledged) {
      auto rows = s.Query("SELECT state FROM reports WHERE report_id = ? AND revision = " + std::to_string(revision), id);
      if (rows.empty()) return false;
      const std::string state = rows[0][0];
      if (state != "accepted" && state != "accepted_late") return false;
    }
    return true;
  };
  const bool drained = Story::WaitFor(settled, 600);
  lives.back().last = Measure(s.daemon().pid());

  int expected = 0, found = 0, duplicated = 0, missing = 0;
  for (const auto& [id, revision] : acknowledged) {
    std::map<int, int> per_revision;
    for (const auto& r : s.SiteRecords(id)) per_revision[r["request"]["report"].value("revision", 0)]++;
    for (int rev = 1; rev <= revision; ++rev) {
      if (!documents.count(id)) continue;
      ++expected;
      const int n = per_revision.count(rev) ? per_revision[rev] : 0;
      found += n > 0;
      duplicated += n > 1;
    }
  }
  missing = expected - found;
  auto count = [&](const std::string& sql) {
    auto rows = s.Query(sql);
    return rows.empty() ? -1 : std::stoi(rows[0][0].get<std::string>());
  };
  const int notifications = count("SELECT COUNT(*) FROM notifications");
  const int confirmed = count("SELECT COUNT(*) FROM notifications WHERE state = 'confirmed'");
  const int missed = count("SELECT COUNT(*) FROM notifications WHERE state = 'missed'");
  const bool journal_ok = s.JournalVerifies();

  const Life* longest = &lives.front();
  for (const Life& l : lives) {
    if (l.minutes() > longest->minutes()) longest = &l;
  }
  std::printf("soak: %d min, seed %u: %zu reports (%d revisions), %d faults, %d kill -9, %d requests unanswered while down\n",
              minutes, seed, acknowledged.size(), revisions, faults, kills, refused_while_down);
  std::printf("  site records: %d of %d acknowledged revisions, %d duplicated, %d missing%s\n", found, expected,
              duplicated, missing, drained ? "" : " (not all settled within 10 minutes)");
  std::printf("  notifications: %d, %d confirmed, %d missed (journaled as missed)\n", notifications, confirmed, missed);
  std::printf("  journal: %s\n", journal_ok ? "verifies" : "DOES NOT VERIFY");
  std::printf("  lifelined's longest life (%.1f min): resident %ld KiB at its end, baseline %ld KiB at its start, "
              "%ld KiB 5 min in\n",
              longest->minutes(), longest->last.rss_kib, longest->first.rss_kib, longest->warm.rss_kib);
  std::printf("                                 of it private %ld KiB at its end, %ld KiB at its start, %ld KiB 5 min in\n",
              longest->last.anon_kib, longest->first.anon_kib, longest->warm.anon_kib);
  std::printf("                                 files' pages %ld + shared %ld KiB at its end, %ld + %ld at its start, "
              "%ld + %ld 5 min in\n",
              longest->last.file_kib, longest->last.shmem_kib, longest->first.file_kib, longest->first.shmem_kib,
              longest->warm.file_kib, longest->warm.shmem_kib);
  std::printf("                                 open files %d at its end, baseline %d at its start, %d 5 min in\n",
              longest->last.open_files, longest->first.open_files, longest->warm.open_files);
  const bool ok = drained && duplicated == 0 && missing == 0 && journal_ok;
  std::printf("  outcome: %s\n", ok ? "nothing acknowledged lost, nothing duplicated" : "FAILED");
  if (!ok) std::cerr << s.Log().substr(s.Log().size() > 20000 ? s.Log().size() - 20000 : 0);
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace lifeline::story

int main(int argc, char** argv) {
  int minutes = 10;
  unsigned seed = 1;
  bool kills_allowed = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--minutes" && i + 1 < argc) minutes = std::atoi(argv[++i]);
    else if (a == "--seed" && i + 1 < argc) seed = unsigned(std::atoi(argv[++i]));
    else if (a == "--no-kill") kills_allowed = false;
    else {
      std::cerr << "usage: soak_bench [--minutes N] [--seed S] [--no-kill]\n";
      return 2;
    }
  }
  if (minutes < 1 || minutes > 24 * 60) {
    std::cerr << "soak_bench: --minutes must be 1-1440\n";
    return 2;
  }
  return lifeline::story::Run(minutes, seed, kills_allowed);
}
