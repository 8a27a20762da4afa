#include "daemon/watch/watch.h"

#include <asio/post.hpp>

#include "daemon/core/log.h"
#include "daemon/core/time_format.h"

namespace lifeline {

using nlohmann::json;

struct ContactWatch::Watched {
  Watched(asio::io_context& io, std::string c, ContactCheck k) : check(std::move(k)), timer(io) { status.channel = std::move(c); }
  ~Watched() {
    if (thread.joinable()) thread.join();
  }
  ContactCheck check;
  ContactStatus status;
  asio::steady_timer timer;
  bool checking = false;
  std::thread thread;  // AddBlocking's
};

namespace {

const char* ChannelZh(const std::string& c) {
  if (c == "sms") return "簡訊（行動數據機）";
  if (c == "fax") return "傳真線路";
  if (c == "site") return "通報應變網站連線";
  if (c == "email") return "電子郵件伺服器";
  return "聯絡管道";
}

}  // namespace

std::string ContactAlertText(const std::string& agency, const ContactStatus& s, const std::string& temporary_contact,
                             bool restored) {
  const std::string since = s.failing_since ? FormatRfc3339(WithOffset(*s.failing_since, 8 * 60)) : "?";
  const std::string contact = temporary_contact.empty() ? "（未設定臨時聯絡方式 / no temporary contact configured）" : temporary_contact;
  if (restored) {
    return "【聯絡管道恢復】" + agency + " 之" + ChannelZh(s.channel) + "已恢復（自 " + since +
           " 起中斷）。 Contact channel " + s.channel + " of " + agency + " works again (down since " + since + ").";
  }
  return "【聯絡管道中斷】" + agency + " 之" + ChannelZh(s.channel) + "自 " + since + " 起無法使用（" + s.detail +
         "），請改用臨時聯絡方式：" + contact + "。 Contact channel " + s.channel + " of " + agency + " has been down since " +
         since + " (" + s.detail + "); temporary contact: " + contact + ".";
}

ContactWatch::ContactWatch(asio::io_context& io, AsyncStore& store, const Clock& clock, WatchOptions options)
    : io_(io), store_(store), clock_(clock), options_(std::move(options)) {}

ContactWatch::~ContactWatch() { Stop(); }

void ContactWatch::Add(const std::string& channel, ContactCheck check) {
  watched_.push_back(std::make_unique<Watched>(io_, channel, std::move(check)));
}

void ContactWatch::AddBlocking(const std::string& channel, std::function<std::pair<bool, std::string>()> check) {
  auto w = std::make_unique<Watched>(io_, channel, nullptr);
  Watched* self = w.get();
  w->check = [this, self, check = std::move(check)](std::function<void(bool, std::string)> done) {
    if (self->thread.joinable()) self->thread.join();  // the previous run has posted its result already
    self->thread = std::thread([this, check, done = std::move(done)] {
      auto [up, detail] = check();
      asio::post(io_, [done, up = up, detail = detail] { done(up, detail); });
    });
  };
  watched_.push_back(std::move(w));
}

void ContactWatch::SetMessengers(std::map<std::string, ChannelRunner*> runners, std::vector<InternalContact> internal) {
  runners_ = std::move(runners);
  internal_ = std::move(internal);
}

// The first checks wait a little: the modem and the link monitor report
// their state in the daemon's first seconds.
void ContactWatch::Start() {
  started_ = true;
  for (auto& w : watched_) Schedule(*w, std::chrono::seconds(std::min<int64_t>(60, options_.interval.count())));
}

void ContactWatch::Stop() {
  started_ = false;
  for (auto& w : watched_) w->timer.cancel();
}

std::vector<ContactStatus> ContactWatch::Status() const {
  std::vector<ContactStatus> out;
  for (const auto& w : watched_) out.push_back(w->status);
  return out;
}

void ContactWatch::Schedule(Watched& w, std::chrono::seconds after) {
  w.timer.expires_after(after);
  w.timer.async_wait([this, &w, alive = std::weak_ptr<int>(alive_)](const std::error_code& ec) {
    if (!ec && !alive.expired() && started_) Check(w);
  });
}

void ContactWatch::Check(Watched& w) {
  if (w.checking) return;
  w.checking = true;
  w.check([this, &w, alive = std::weak_ptr<int>(alive_)](bool up, std::string detail) {
    if (alive.expired()) return;
    w.checking = false;
    Checked(w, up, detail);
    if (started_) Schedule(w, up ? options_.interval : std::min(options_.interval, options_.retry_while_failing));
  });
}

void ContactWatch::Checked(Watched& w, bool up, const std::string& detail) {
  ContactStatus& s = w.status;
  const WallTime now = clock_.Now();
  s.checked_at = now;
  const bool was_up = s.up, was_alerted = s.alerted;
  s.up = up;
  s.detail = detail;
  if (!up && was_up) {
    s.failing_since = now;
    spdlog::warn("contact channel {} fails its check: {}", s.channel, detail);
    Journal("contact.failing", {{"channel", s.channel}, {"detail", detail}});
  }
  if (!up && !s.alerted && s.failing_since && now - *s.failing_since >= options_.alert_after) {
    s.alerted = true;
    Alert(w, false);
  }
  if (up && !was_up) {
    spdlog::info("contact channel {} passes its check again", s.channel);
    if (s.alerted) Alert(w, true);
    else Journal("contact.ok", {{"channel", s.channel}, {"failing_since", FormatUtcMicros(*s.failing_since)}});
    s.alerted = false;
    s.failing_since.reset();
  }
  if ((up != was_up || s.alerted != was_alerted) && on_change) on_change();
}

// Journals the alert (or the return), then tells each internal recipient on
// a channel other than the one that failed; each message's outcome is journaled.
void ContactWatch::Alert(Watched& w, bool restored) {
  const ContactStatus& s = w.status;
  const std::string text = ContactAlertText(options_.agency, s, options_.temporary_contact, restored);
  json payload = {{"channel", s.channel}, {"detail", s.detail},
                  {"failing_since", s.failing_since ? FormatUtcMicros(*s.failing_since) : ""},
                  {"temporary_contact", options_.temporary_contact}, {"message", text}};
  if (restored) payload["down_seconds"] = std::chrono::duration_cast<std::chrono::seconds>(clock_.Now() - *s.failing_since).count();
  spdlog::log(restored ? spdlog::level::info : spdlog::level::critical, "contact channel {}: {}", s.channel, text);
  Journal(restored ? "contact.restored" : "contact.down", payload);
  for (const auto& person : internal_) {
    for (const auto& address : person.addresses) {
      if (address.kind == s.channel || (address.kind != "sms" && address.kind != "email")) continue;
      ChannelRunner* runner = runners_.count(address.kind) ? runners_[address.kind] : nullptr;
      if (!runner) continue;
      NoticeJob job;
      // Not a report's attempt: a negative id (the SMS ledger keys its message by it).
      job.attempt_id = -std::chrono::duration_cast<std::chrono::microseconds>(clock_.Now().time_since_epoch()).count();
      job.recipient_key = person.key;
      job.recipient_name = person.name;
      job.address = address;
      job.text = text;
      job.subject = restored ? "【聯絡管道恢復】" + s.channel : "【聯絡管道中斷】" + s.channel;
      runner->Start(
          job, [](const std::string&, const json&) {},
          [this, channel = s.channel, who = person.key, kind = address.kind, to = address.address,
           alive = std::weak_ptr<int>(alive_)](const NoticeOutcome& o) {
            if (alive.expired()) return;
            Journal("contact.alert_sent", {{"channel", channel}, {"recipient", who}, {"via", kind}, {"address", to},
                                           {"confirmed", o.kind == NoticeOutcome::Kind::kConfirmed},
                                           {"summary", o.summary}, {"evidence", o.evidence}});
          });
      break;  // one channel per person is enough: the others are for the reports
    }
  }
}

void ContactWatch::Journal(const std::string& type, json payload) {
  store_.RunInBackground("the contact watch's " + type,
                         [type, payload](Store& st) { return st.RecordEvent(type, "", payload); });
}

}  // namespace lifeline
