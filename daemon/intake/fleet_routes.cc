// GET /v1/fleet: the supervising agency's view of its units' boxes, for the
// console's fleet page on the agency's own machine. The view is
// lifeline-fleet's store, named by its configuration (console.fleet_view),
// read without writing on the store's worker so the loop never waits on
// another program's database. {"fleet_view": false} when this box shows
// none (the console's menu asks on every page, so that is an answer, not an
// error).
#include "daemon/core/clock.h"
#include "daemon/intake/intake.h"
#include "tools/fleet/commands.h"

namespace lifeline {

using nlohmann::json;

void AddFleetRoutes(IntakeApi& api, AsyncStore& store, std::string fleet_config) {
  api.AddCollection("fleet", [&store, fleet_config](const http::Request& req, const std::vector<std::string>& p,
                                                    const Principal&, http::Reply reply) {
    if (p.size() != 2) return reply(ErrorResponse(404, "not_found", "use /v1/fleet", "查無此資源"));
    if (req.method != "GET") {
      return reply(ErrorResponse(405, "method_not_allowed", req.method + " is not allowed on " + req.target,
                                 "不支援此方法"));
    }
    if (fleet_config.empty()) return reply(JsonResponse(200, {{"fleet_view", false}}));
    auto view = std::make_shared<json>();
    store.Run(
        [view, fleet_config](Store&) {
          auto v = fleet::ReadView(fleet_config, SystemClock().Now());
          if (!v.ok()) return v.status();
          *view = std::move(*v);
          return Status::Ok();
        },
        [view, reply](Status s) {
          if (!s.ok()) {
            return reply(ErrorResponse(503, "fleet_view_unavailable", "the fleet view cannot be read: " + s.message(),
                                       "無法讀取所屬機關檢視"));
          }
          (*view)["fleet_view"] = true;
          reply(JsonResponse(200, *view));
        });
  });
}

}  // namespace lifeline
