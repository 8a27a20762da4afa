// The channels as the configuration describes them: option structs built from
// [fax], [sms], [email], and the runners lifelined hands to the escalation
// engine. A channel whose device or server is not configured has no runner
// (the engine then records "no such channel on this box" and moves on).
#pragma once

#include <asio/io_context.hpp>

#include <map>
#include <memory>
#include <string>

#include "daemon/channels/email/email.h"
#include "daemon/channels/fax/fax.h"
#include "daemon/config/config.h"
#include "daemon/core/clock.h"
#include "daemon/channels/runner/channel_runner.h"
#include "daemon/channels/sms/part_ledger.h"
#include "daemon/store/store.h"

namespace lifeline {

fax::RetryPolicy FaxRetryPolicyFrom(const Config::Fax& f);
// `device` overrides fax.device when not empty (the CLI's --device).
fax::FaxSendOptions FaxSendOptionsFrom(const Config::Fax& f, const std::string& device);
email::SmtpOptions SmtpOptionsFrom(const Config::Email& e);

struct ChannelRunners {
  std::unique_ptr<sms::SmsPartLedger> sms_ledger;  // before the runners: they borrow it
  std::map<std::string, std::unique_ptr<ChannelRunner>> owned;
  std::map<std::string, ChannelRunner*> all;  // kind -> runner, for the engine
};

// Builds and opens the SMS, fax and e-mail runners that are configured; the
// SMS part ledger lives in `store`. `on_event` receives modem health changes
// for the journal.
Status StartChannels(asio::io_context& io, const Clock& clock, const Config& config, AsyncStore& store,
                     ChannelRunners& runners,
                     std::function<void(const std::string& kind, const nlohmann::json& event)> on_event);

// The store's options for a state directory, the SMS ledger's old file among them.
StoreOptions StoreOptionsFor(const std::string& state_dir);

}  // namespace lifeline
