#include "daemon/channels/wiring/wiring.h"

#include <filesystem>

#include "daemon/channels/email/email_runner.h"
#include "daemon/channels/fax/fax_runner.h"
#include "daemon/channels/sms/sms_runner.h"
#include "daemon/channels/wiring/store_sms_ledger.h"

namespace lifeline {

fax::RetryPolicy FaxRetryPolicyFrom(const Config::Fax& f) {
  fax::RetryPolicy p;
  p.max_attempts = f.max_attempts;
  p.busy_delay = std::chrono::seconds(f.busy_retry_seconds);
  p.no_answer_delay = std::chrono::seconds(f.no_answer_retry_seconds);
  p.no_carrier_delay = std::chrono::seconds(f.no_carrier_retry_seconds);
  p.no_dialtone_delay = std::chrono::seconds(f.no_dialtone_retry_seconds);
  p.call_failed_delay = std::chrono::seconds(f.call_failed_retry_seconds);
  p.budget = std::chrono::seconds(f.budget_seconds);
  return p;
}

fax::FaxSendOptions FaxSendOptionsFrom(const Config::Fax& f, const std::string& device) {
  fax::FaxSendOptions o;
  o.device = device.empty() ? f.device : device;
  o.local_ident = f.local_ident;
  o.ecm = f.ecm;
  o.max_bit_rate = f.max_bit_rate;
  return o;
}

email::SmtpOptions SmtpOptionsFrom(const Config::Email& e) {
  email::SmtpOptions o;
  o.host = e.host;
  o.port = e.port;
  o.security = e.security == "smtps"  ? email::SmtpSecurity::kSmtps
               : e.security == "plain" ? email::SmtpSecurity::kPlain
                                       : email::SmtpSecurity::kStartTls;
  o.ca_file = e.ca_file;
  o.username = e.username;
  o.password = e.password;
  return o;
}

StoreOptions StoreOptionsFor(const std::string& state_dir) {
  StoreOptions o;
  o.db_path = state_dir + "/lifeline.db";
  o.key_path = state_dir + "/journal.key";
  o.legacy_sms_ledger = state_dir + "/sms-ledger.sqlite";
  return o;
}

Status StartChannels(asio::io_context& io, const Clock& clock, const Config& config, AsyncStore& store,
                     ChannelRunners& runners,
                     std::function<void(const std::string& kind, const nlohmann::json& event)> on_event) {
  if (!config.sms.device.empty()) {
    runners.sms_ledger = std::make_unique<StoreSmsLedger>(store);
    sms::SmsRunnerOptions o;
    o.modem.at.device = config.sms.device;
    o.modem.pin = config.sms.pin;
    o.ledger = runners.sms_ledger.get();
    o.validity = std::chrono::minutes(config.sms.validity_minutes);
    o.max_attempts_per_part = config.sms.max_attempts_per_part;
    o.retry_delay = std::chrono::milliseconds(config.sms.retry_delay_ms);
    auto runner = std::make_unique<sms::SmsRunner>(io, clock, o);
    runner->SetHealthHandler([on_event](const sms::ModemHealth& h) {
      on_event("sms", nlohmann::json::parse(h.ToJson(), nullptr, false));
    });
    LIFELINE_RETURN_IF_ERROR(runner->Open());
    runners.all["sms"] = runner.get();
    runners.owned["sms"] = std::move(runner);
  }
  if (!config.fax.device.empty()) {
    std::string work_dir = config.state_dir + "/fax";
    std::error_code ec;
    std::filesystem::create_directories(work_dir, ec);
    if (ec) return IoError("cannot create " + work_dir + ": " + ec.message());
    std::string contact = config.agency_phone.empty() ? "" : "電話 " + config.agency_phone;
    if (!config.agency_fax.empty()) contact += (contact.empty() ? "" : "，") + std::string("傳真 ") + config.agency_fax;
    auto runner = std::make_unique<fax::FaxRunner>(io, FaxSendOptionsFrom(config.fax, ""),
                                                   FaxRetryPolicyFrom(config.fax), work_dir, config.agency_name,
                                                   contact);
    runners.all["fax"] = runner.get();
    runners.owned["fax"] = std::move(runner);
  }
  if (!config.email.host.empty()) {
    auto runner = std::make_unique<email::EmailRunner>(io, SmtpOptionsFrom(config.email), config.email.from,
                                                       config.email.from_name, config.email.max_attempts,
                                                       std::chrono::milliseconds(config.email.retry_delay_ms),
                                                       email::EmailConfirmation{config.email.relay_is_recipient_domain});
    runners.all["email"] = runner.get();
    runners.owned["email"] = std::move(runner);
  }
  return Status::Ok();
}

}  // namespace lifeline
