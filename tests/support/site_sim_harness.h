// Test harness for tools/site-sim: starts it on loopback (or a given address,
// optionally under a command prefix such as `ip netns exec NAME`) in a fresh
// folder, reads its ready line (ports, CA), drives its admin API with the curl
// command and counts ledger records. Stops it on destruction. Bounded waits only.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace lifeline::testing_support {

struct SiteSimOptions {
  std::string host;                  // site-sim --host; "" keeps its default, 127.0.0.1
  std::vector<std::string> wrapper;  // argv prefix for site-sim and the admin curl
};

class SiteSim {
 public:
  explicit SiteSim(std::string dir, SiteSimOptions options = {});
  ~SiteSim();
  bool Start();  // true once the ready file appeared (10 s at most)
  bool Stop();  // SIGTERM; true when site-sim exits with status 0 (or was not running)

  // POST /admin/faults with `faults`; DELETE when null.
  bool SetFaults(const nlohmann::json& faults);
  nlohmann::json Faults();  // GET /admin/faults: what is left of each fault; null on error
  int Count(const std::string& report_id);  // ledger records for the report, -1 on error
  // Ledger records of one stage ("damage-control", "closing") of the report, every version; -1 on error.
  int CountStage(const std::string& report_id, const std::string& stage);
  std::string base_url() const { return "https://" + UrlHost() + ":" + std::to_string(api_port_); }
  std::string ca() const { return dir_ + "/ca.pem"; }
  // [site] and [monitor] lines for lifelined's config, with quick probes.
  std::string DaemonConfig() const;

 private:
  std::string Admin(const std::string& method, const std::string& path, const std::string& body);
  std::string UrlHost() const;
  std::string dir_;
  SiteSimOptions options_;
  int pid_ = -1, api_port_ = 0, admin_port_ = 0;
};

}  // namespace lifeline::testing_support
