// ContactWatch: the box watching the agency's own contact channels (seed 001
// 肆.五: the contact window must stay reachable, and a channel down more than
// an hour must be announced with a temporary one). Each configured channel
// has a check (the SMS modem registered, the fax line's dial tone, the
// national site reachable, the e-mail server answering) run every interval,
// every minute while it fails. A channel failing longer than alert_after
// raises the alert: journaled (which the hooks hear), shown by the metrics
// and the console's banner, and sent to the internal recipients on another
// channel, naming the temporary contact. Its return is journaled and
// announced the same way. io_context thread only.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "daemon/channels/runner/channel_runner.h"
#include "daemon/core/clock.h"
#include "daemon/store/store.h"

namespace lifeline {

// One channel's check: calls `done` once, on the io thread, with whether the
// channel works and why not.
using ContactCheck = std::function<void(std::function<void(bool up, std::string detail)> done)>;

struct WatchOptions {
  std::chrono::seconds interval{900};
  std::chrono::seconds retry_while_failing{60};
  std::chrono::seconds alert_after{3600};
  std::string temporary_contact;  // from the configuration: announced with the alert
  std::string agency;             // the agency's name, on the message
};

// Someone inside the agency told of an alert, and where.
struct InternalContact {
  std::string key, name;
  std::vector<ChannelAddress> addresses;
};

struct ContactStatus {
  std::string channel;
  bool up = true;
  std::string detail;
  std::optional<WallTime> failing_since;
  bool alerted = false;
  std::optional<WallTime> checked_at;
};

// The alert's message, zh-TW then English; pure.
std::string ContactAlertText(const std::string& agency, const ContactStatus& s, const std::string& temporary_contact,
                             bool restored);

class ContactWatch {
 public:
  ContactWatch(asio::io_context& io, AsyncStore& store, const Clock& clock, WatchOptions options);
  ~ContactWatch();
  void Add(const std::string& channel, ContactCheck check);
  // A check that blocks (the fax modem's dial tone): run on a thread of its
  // own, joined before the next run and when the watch is destroyed.
  void AddBlocking(const std::string& channel, std::function<std::pair<bool, std::string>()> check);
  // Where alerts go: runners by kind (only "sms" and "email" are used: a
  // message, not a call or a form), and the internal recipients. Borrowed.
  void SetMessengers(std::map<std::string, ChannelRunner*> runners, std::vector<InternalContact> internal);
  void Start();
  void Stop();
  std::vector<ContactStatus> Status() const;
  // Told after every change of a channel's state (for the dashboard).
  std::function<void()> on_change;

 private:
  struct Watched;
  void Schedule(Watched& w, std::chrono::seconds after);
  void Check(Watched& w);
  void Checked(Watched& w, bool up, const std::string& detail);
  void Alert(Watched& w, bool restored);
  void Journal(const std::string& type, nlohmann::json payload);

  asio::io_context& io_;
  AsyncStore& store_;
  const Clock& clock_;
  WatchOptions options_;
  std::vector<std::unique_ptr<Watched>> watched_;
  std::map<std::string, ChannelRunner*> runners_;
  std::vector<InternalContact> internal_;
  bool started_ = false;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

// The e-mail server answers: a TCP connection to host:port and, unless the
// connection is TLS from the start (smtps), its 220 greeting, within `timeout`.
ContactCheck SmtpGreetingCheck(asio::io_context& io, std::string host, uint16_t port, bool implicit_tls,
                               std::chrono::seconds timeout);

}  // namespace lifeline
