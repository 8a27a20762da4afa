// The escalation planner under a simulated clock: a minute-by-minute run from
// filing to past the deadline through the engine's own decide/record/apply
// steps on a real store, channels confirming (or not) when the scenario says,
// and the actions it takes recorded as a timeline.
#include "daemon/escalation/escalation.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>

#include "daemon/core/clock.h"
#include "daemon/escalation/engine.h"
#include "tests/support/report_factory.h"

namespace lifeline {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

WallTime T(const char* s) { return ParseRfc3339(s)->instant; }

const WallTime kAware = T("2026-11-21T09:58:00+08:00");
const WallTime kEscalateAt = kAware + minutes(20);
const WallTime kNotifyBy = kAware + minutes(60);

EscalationPolicy Policy() {
  EscalationPolicy p;
  p.lead_time = {{"sms", minutes(5)}, {"fax", minutes(10)}, {"email", minutes(5)}, {"phone", minutes(10)}};
  p.channel_order = {"sms", "fax", "email", "phone"};
  p.louder_before = minutes(10);
  return p;
}

const Directory& Dir() {
  static const Directory d = *DefaultDirectory();
  return d;
}

struct Event {
  WallTime at;
  std::string what;
};

// Runs the plan from `start` to `end`, one decision a minute, through the
// engine's own steps: Decide, PlanStep, RecordStep on a real store (a
// simulated clock), ApplyStep; channel outcomes through ApplyOutcome and
// RecordOutcome. With restart_every_step the in-memory state is dropped after
// every step and rebuilt from the store by RestorePlan, and must decide the same.
class Simulation {
 public:
  Simulation(int level, bool drill = false, bool affects_others = false)
      : policy_(Policy()),
        notices_(RequiredNotices(Dir(), policy_, level, affects_others, drill, level >= 3)),
        clock_(kAware),
        dir_(std::filesystem::path(::testing::TempDir()) / ("plan-" + NewUuidV4().value())) {
    plan_.progress = InitialProgress(notices_);
    std::filesystem::create_directories(dir_);
    auto store = Store::Open({(dir_ / "lifeline.db").string(), (dir_ / "journal.key").string(), "",
                              kStoreSchemaVersion, ""},
                             clock_);
    if (!store.ok()) throw std::runtime_error(store.status().ToString());
    store_ = std::move(*store);
    nlohmann::json doc = testing_support::NewDocument();
    doc["aware_at"] = FormatRfc3339(WithOffset(kAware, 8 * 60));
    doc["impact"] = {{"confidentiality", level}, {"integrity", "none"}, {"availability", "none"}};
    if (drill) doc["drill"] = true;
    id_ = doc["id"];
    auto stored = store_->Submit(testing_support::ToReport(doc), "test", nlohmann::json::object());
    if (!stored.ok()) throw std::runtime_error(stored.status().ToString());
  }
  ~Simulation() {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // confirm(recipient, kind, started_at, now) -> whether that channel confirms now.
  std::function<bool(const std::string&, const std::string&, WallTime, WallTime)> confirm =
      [](const std::string&, const std::string&, WallTime, WallTime) { return false; };
  std::function<Conditions(WallTime)> conditions = [](WallTime) { return Conditions{}; };
  std::function<bool(WallTime)> site_accepts = [](WallTime) { return false; };
  bool restart_every_step = false;

  void Run(WallTime start, WallTime end) {
    clock_.Advance(std::chrono::duration_cast<std::chrono::microseconds>(start - clock_.Now()));
    for (WallTime now = start; now <= end; now += minutes(1), clock_.Advance(minutes(1))) {
      if (site_accepts(now) && !plan_.progress.accepted_by_site) Accept();
      ApplyConfirmations(now);
      EscalationTiming timing = plan_.frozen ? *plan_.frozen
                                             : WhenToEscalate(kEscalateAt, kNotifyBy, conditions(now), notices_,
                                                              policy_, now);
      auto actions = Decide(plan_.progress, timing, kNotifyBy, policy_, now);
      StepContext context{&notices_, kNotifyBy, WallTime{}, 8 * 60};
      Step step = PlanStep(plan_, actions, timing, conditions(now), context, now);
      if (step.empty()) continue;
      RecordedStep recorded;
      ASSERT_TRUE(RecordStep(*store_, id_, 1, step, plan_.notification_ids, &recorded).ok());
      ApplyStep(plan_, step, recorded, timing, now);
      Note(step, now);
      if (restart_every_step) {
        ASSERT_NO_FATAL_FAILURE(Restart(now));
      }
    }
  }

  std::vector<Event> timeline;
  const ReportProgress& progress() const { return plan_.progress; }
  const std::vector<RequiredNotice>& notices() const { return notices_; }
  bool Has(const std::string& what) const {
    return std::any_of(timeline.begin(), timeline.end(), [&](const Event& e) { return e.what == what; });
  }
  std::optional<WallTime> When(const std::string& what) const {
    for (const auto& e : timeline) {
      if (e.what == what) return e.at;
    }
    return std::nullopt;
  }

 private:
  static std::string Describe(const std::vector<Action>& actions) {
    std::string s;
    for (const auto& a : actions) s += std::to_string(int(a.kind)) + a.recipient + a.channel.kind + ";";
    return s;
  }
  static std::string Describe(const PlanState& p) {
    std::string s = std::string(p.progress.escalated ? "E" : "-") + (p.cancelled ? "C" : "-");
    for (const auto& r : p.progress.recipients) {
      s += " " + r.key + (r.loud ? "!" : "");
      for (const auto& c : r.channels) {
        s += "/" + c.channel->kind + ":" + std::to_string(int(c.state)) + "x" + std::to_string(c.starts) + "@" +
             FormatUtcMicros(c.started_at);
      }
    }
    for (const auto& [k, v] : p.notification_state) s += " " + k + "=" + v;
    for (const auto& [a, w] : p.open_attempts) s += " #" + std::to_string(a);
    return s;
  }

  // The daemon's state dropped and read back from the store.
  void Restart(WallTime now) {
    auto revisions = store_->GetReport(id_);
    auto notifications = store_->Notifications(id_);
    auto attempts = store_->Attempts(id_);
    auto fallback = store_->FallbackOf(id_, 1);
    ASSERT_TRUE(revisions.ok() && notifications.ok() && attempts.ok() && fallback.ok());
    PlanState restored =
        RestorePlan(notices_, revisions->back(), *notifications, *attempts, *fallback, clock_.Now());
    ASSERT_EQ(Describe(restored), Describe(plan_)) << "the store does not hold the plan's state";
    EscalationTiming timing = *restored.frozen;
    ASSERT_EQ(Describe(Decide(restored.progress, timing, kNotifyBy, policy_, now + minutes(1))),
              Describe(Decide(plan_.progress, timing, kNotifyBy, policy_, now + minutes(1))))
        << "restart changed the decision";
    restored.frozen = plan_.frozen;  // the escalation point as decided, not as stamped
    plan_ = std::move(restored);
  }

  void Accept() {
    plan_.progress.accepted_by_site = true;
    ReportState to = plan_.progress.escalated ? ReportState::kAcceptedLate : ReportState::kAccepted;
    ASSERT_TRUE(store_->TransitionReport(id_, 1, to, {{"receipt", "SIM-1"}}).ok());
  }

  void ApplyConfirmations(WallTime now) {
    std::vector<int64_t> open;
    for (const auto& [attempt, where] : plan_.open_attempts) open.push_back(attempt);
    for (int64_t attempt : open) {
      auto [ri, ci] = plan_.open_attempts.at(attempt);
      const RecipientProgress& r = plan_.progress.recipients[ri];
      const ChannelProgress& c = r.channels[ci];
      if (!confirm(r.key, c.channel->kind, c.started_at, now)) continue;
      bool first = c.state != ChannelState::kConfirmed;
      std::string what = "confirmed " + r.key + " " + c.channel->kind;
      OutcomeEffect effect = ApplyOutcome(plan_, attempt, true);
      ASSERT_TRUE(RecordOutcome(*store_, attempt, true, effect, what, nlohmann::json::object()).ok());
      if (first) timeline.push_back({now, what});
    }
  }

  void Note(const Step& step, WallTime now) {
    if (step.escalate) timeline.push_back({now, "escalate"});
    if (step.cancel) timeline.push_back({now, "cancel"});
    for (const auto& [recipient, why] : step.loud) timeline.push_back({now, "loud " + recipient});
    for (const auto& s : step.starts) timeline.push_back({now, "start " + s.key + " " + s.kind});
  }

  EscalationPolicy policy_;
  std::vector<RequiredNotice> notices_;
  PlanState plan_;
  SimulatedClock clock_;
  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  std::string id_;
};

bool ConfirmAfter(WallTime started, WallTime now, minutes d) { return now >= started + d; }

class EveryLevelTest : public ::testing::TestWithParam<int> {};

TEST_P(EveryLevelTest, BothRecipientsNotifiedAndPhoneAtLevelsThreeAndFour) {
  int level = GetParam();
  Simulation sim(level);
  sim.confirm = [](const std::string&, const std::string& kind, WallTime s, WallTime now) {
    return kind != "phone" && ConfirmAfter(s, now, minutes(2));
  };
  sim.Run(kAware + minutes(7), kNotifyBy + minutes(5));
  EXPECT_EQ(sim.When("escalate"), kEscalateAt);
  EXPECT_EQ(sim.When("start superior sms"), kEscalateAt);
  EXPECT_EQ(sim.When("start national_centre fax"), kEscalateAt);
  EXPECT_EQ(sim.When("confirmed superior sms"), kEscalateAt + minutes(2));
  EXPECT_EQ(sim.When("confirmed national_centre fax"), kEscalateAt + minutes(2));
  EXPECT_EQ(sim.Has("start superior phone"), level >= 3);
  EXPECT_FALSE(sim.Has("start ciso sms")) << "internal people are not legal recipients";
  EXPECT_FALSE(sim.Has("loud superior"));
  for (const auto& r : sim.progress().recipients) EXPECT_TRUE(r.Confirmed()) << r.key;
}

INSTANTIATE_TEST_SUITE_P(Levels, EveryLevelTest, ::testing::Values(1, 2, 3, 4));

// An e-mail a relay accepted is "sent", not confirmed (issue 17): the
// recipient stays unconfirmed, the next channel starts at once, and the
// sent message is neither waited on nor repeated.
TEST(EscalationTest, AnEmailARelayAcceptedIsNotAConfirmationAndTheNextChannelStarts) {
  ReportProgress p;
  p.escalated = true;
  RecipientProgress r{"superior", false, false, {}};
  const ChannelAddress email{"email", "window@superior.gov.tw", ""}, sms{"sms", "+886912345678", ""};
  r.channels.push_back({&email, ChannelState::kInProgress, kEscalateAt, 1});
  r.channels.push_back({&sms, ChannelState::kNotStarted, {}, 0});
  p.recipients.push_back(r);
  PlanState plan;
  plan.progress = p;
  plan.open_attempts[7] = {0, 0};
  plan.notification_ids["superior"] = 3;
  plan.notification_state["superior"] = "in_progress";
  OutcomeEffect effect = ApplyOutcome(plan, 7, ChannelState::kSent);
  EXPECT_FALSE(effect.confirm_notification);
  EXPECT_EQ(plan.notification_state["superior"], "in_progress");
  EXPECT_EQ(plan.progress.recipients[0].channels[0].state, ChannelState::kSent);
  EXPECT_FALSE(plan.progress.recipients[0].Confirmed());
  EscalationTiming timing{kEscalateAt, "test", false};
  // Well within the e-mail's lead time: the SMS does not wait for it.
  auto actions = Decide(plan.progress, timing, kNotifyBy, Policy(), kEscalateAt + minutes(1));
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, Action::Kind::kStartChannel);
  EXPECT_EQ(actions[0].channel.kind, "sms");
  // Near the deadline every unconfirmed channel goes again, but not the e-mail already handed on.
  auto loud = Decide(plan.progress, timing, kNotifyBy, Policy(), kNotifyBy - minutes(1));
  for (const auto& a : loud) {
    if (a.kind == Action::Kind::kStartChannel) {
      EXPECT_NE(a.channel.kind, "email");
    }
  }
  // The same attempt confirmed instead (the recipient's own domain's server) confirms the recipient.
  plan.progress = p;
  plan.open_attempts[7] = {0, 0};
  EXPECT_TRUE(ApplyOutcome(plan, 7, ChannelState::kConfirmed).confirm_notification);
  EXPECT_TRUE(plan.progress.recipients[0].Confirmed());
}

// A fax whose first try found the line busy (or unanswered) goes on retrying,
// and the next channel (the phone task) starts at once instead of after the
// fax's lead time: a person can call while the fax waits to dial again.
TEST(EscalationTest, AChannelRetryingAfterAFailedTryIsNotWaitedOn) {
  ReportProgress p;
  p.escalated = true;
  RecipientProgress r{"national_centre", false, false, {}};
  const ChannelAddress fax{"fax", "0227331655", ""}, phone{"phone", "02-27339922", ""};
  r.channels.push_back({&fax, ChannelState::kInProgress, kEscalateAt, 1});
  r.channels.push_back({&phone, ChannelState::kNotStarted, {}, 0});
  p.recipients.push_back(r);
  EscalationTiming timing{kEscalateAt, "test", false};
  const WallTime soon = kEscalateAt + minutes(1);  // well within the fax's lead time
  EXPECT_TRUE(Decide(p, timing, kNotifyBy, Policy(), soon).empty()) << "a fax still trying its first call is waited on";
  p.recipients[0].channels[0].retrying = true;
  auto actions = Decide(p, timing, kNotifyBy, Policy(), soon);
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, Action::Kind::kStartChannel);
  EXPECT_EQ(actions[0].channel.kind, "phone");
}

TEST(EscalationTest, ShortOutageThatHealsBeforeTheEscalationPointSendsNothing) {
  Simulation sim(2);
  sim.conditions = [](WallTime now) {
    Conditions c;
    c.site_outage = now < kAware + minutes(15);
    c.link_class = "connect";
    return c;
  };
  sim.site_accepts = [](WallTime now) { return now >= kAware + minutes(16); };
  sim.Run(kAware + minutes(5), kNotifyBy + minutes(5));
  EXPECT_TRUE(sim.timeline.empty()) << sim.timeline.front().what;
}

TEST(EscalationTest, OutageEscalatesEarlierWhenChannelsNeedMoreThanTheTimeLeft) {
  Simulation sim(2);
  // Long lead times: the superior agency's four channels need 60 minutes in the worst case.
  EscalationPolicy slow = Policy();
  for (auto& [k, v] : slow.lead_time) v = minutes(15);
  auto notices = RequiredNotices(Dir(), slow, 2, false, false, false);
  Conditions outage{true, "dns", false, std::nullopt, std::nullopt, false};
  EscalationTiming t = WhenToEscalate(kEscalateAt, kNotifyBy, outage, notices, slow, kAware + minutes(3));
  EXPECT_EQ(t.start, kAware + minutes(3));
  EXPECT_NE(t.why.find("already past"), std::string::npos) << t.why;
  Conditions up;
  EXPECT_EQ(WhenToEscalate(kEscalateAt, kNotifyBy, up, notices, slow, kAware + minutes(3)).start, kEscalateAt);
}

TEST(EscalationTest, OutageAfterTheEscalationPointEscalatesAtThatPoint) {
  Simulation sim(1);
  sim.conditions = [](WallTime now) { return Conditions{now >= kAware + minutes(25), "timeout", false, {}, {}, false}; };
  sim.Run(kAware + minutes(1), kAware + minutes(30));
  EXPECT_EQ(sim.When("escalate"), kEscalateAt) << "not accepted by the escalation point is enough";
}

TEST(EscalationTest, ReportFiledAfterTheDeadlineEscalatesAtOnceAndSaysSo) {
  auto notices = RequiredNotices(Dir(), Policy(), 3, false, false, true);
  WallTime now = kNotifyBy + minutes(30);
  EscalationTiming t = WhenToEscalate(kEscalateAt, kNotifyBy, {}, notices, Policy(), now);
  EXPECT_TRUE(t.late);
  EXPECT_EQ(t.start, now);
  EXPECT_NE(t.why.find("already passed"), std::string::npos);
  auto actions = Decide(InitialProgress(notices), t, kNotifyBy, Policy(), now);
  ASSERT_FALSE(actions.empty());
  EXPECT_EQ(actions[0].kind, Action::Kind::kEscalate);
}

TEST(EscalationTest, ReportFiledLateButBeforeTheDeadlineEscalatesAtOnce) {
  Simulation sim(2);
  sim.Run(kAware + minutes(45), kAware + minutes(46));
  EXPECT_EQ(sim.When("escalate"), kAware + minutes(45));
}

TEST(EscalationTest, UnconfirmedChannelsMoveOnThenGoLoud) {
  Simulation sim(3);
  sim.Run(kAware, kNotifyBy + minutes(2));
  // Superior: sms at 20 (and the phone, level 3); fax when sms is unconfirmed after 5 min.
  EXPECT_EQ(sim.When("start superior sms"), kEscalateAt);
  EXPECT_EQ(sim.When("start superior phone"), kEscalateAt);
  EXPECT_EQ(sim.When("start superior fax"), kEscalateAt + minutes(5));
  EXPECT_EQ(sim.When("start superior email"), kEscalateAt + minutes(15));
  EXPECT_EQ(sim.When("loud superior"), kNotifyBy - minutes(10));
  EXPECT_EQ(sim.When("loud national_centre"), kNotifyBy - minutes(10));
  int phone_starts = 0;
  for (const auto& e : sim.timeline) phone_starts += e.what == "start superior phone";
  EXPECT_EQ(phone_starts, 2) << "going loud raises the phone task again";
}

TEST(EscalationTest, OneConfirmedChannelIsEnoughForARecipient) {
  Simulation sim(2);
  sim.confirm = [](const std::string& who, const std::string& kind, WallTime s, WallTime now) {
    return who == "national_centre" && kind == "email" && ConfirmAfter(s, now, minutes(1));
  };
  sim.Run(kAware, kNotifyBy);
  EXPECT_TRUE(sim.Has("confirmed national_centre email"));
  EXPECT_FALSE(sim.Has("start national_centre phone")) << "confirmed before the phone's turn";
  EXPECT_TRUE(sim.Has("loud superior"));
  EXPECT_FALSE(sim.Has("loud national_centre"));
}

TEST(EscalationTest, SiteAcceptingAfterEscalationCancelsWhatIsPending) {
  Simulation sim(2);
  sim.site_accepts = [](WallTime now) { return now >= kEscalateAt + minutes(3); };
  sim.Run(kAware, kNotifyBy);
  EXPECT_TRUE(sim.Has("escalate"));
  EXPECT_EQ(sim.When("cancel"), kEscalateAt + minutes(3));
  EXPECT_FALSE(sim.Has("start superior fax"));
}

TEST(EscalationTest, PowerOutageIsTheStatedReasonAndBatteryShortensTheWait) {
  Conditions c{true, "connect", true, seconds(15 * 60), {}, false};
  EXPECT_EQ(c.Reason().kind, FallbackReason::Kind::kPower);
  EXPECT_EQ(c.Reason().Zh(), "電力中斷（on battery, 15 min left）");
  auto notices = RequiredNotices(Dir(), Policy(), 2, false, false, false);
  WallTime now = kAware + minutes(2);
  EscalationTiming t = WhenToEscalate(kEscalateAt, kNotifyBy, c, notices, Policy(), now);
  EXPECT_EQ(t.start, now) << "the box may die before the channels are done";
  EXPECT_NE(t.why.find("battery"), std::string::npos);
  Conditions network{true, "connect", false, {}, {}, false};
  EXPECT_EQ(network.Reason().En(), "network outage (connect)");
  Conditions site{true, "http_5xx", false, {}, {}, false};
  EXPECT_EQ(site.Reason().En(), "the national site is failing (http_5xx)");
}

TEST(EscalationTest, LevelChangeToThreeAddsThePhoneCall) {
  auto before = RequiredNotices(Dir(), Policy(), 2, false, false, false);
  auto after = RequiredNotices(Dir(), Policy(), 3, false, false, true);
  EXPECT_FALSE(before[0].phone_required);
  EXPECT_TRUE(after[0].phone_required);
  Simulation sim(3);
  sim.Run(kEscalateAt, kEscalateAt);
  EXPECT_TRUE(sim.Has("start superior phone"));
}

TEST(EscalationTest, DrillUsesOnlyDrillRecipients) {
  Simulation sim(4, /*drill=*/true);
  sim.Run(kAware, kNotifyBy);
  for (const auto& n : sim.notices()) {
    bool in_drill_set = std::any_of(Dir().drill_recipients.begin(), Dir().drill_recipients.end(),
                                    [&](const Recipient& r) { return &r == n.recipient; });
    EXPECT_TRUE(in_drill_set) << n.recipient->name;
  }
  EXPECT_TRUE(sim.Has("start superior sms"));
}

TEST(EscalationTest, AffectedAgencyIsAddedWhenOthersAreAffected) {
  Directory d = Dir();
  d.recipients.push_back({"water_co", "affected_agency", "自來水公司", "test", "2026-11-01",
                          {{"fax", "0223456789", ""}}});
  EXPECT_EQ(RequiredNotices(d, Policy(), 2, false, false, false).size(), 2u);
  EXPECT_EQ(RequiredNotices(d, Policy(), 2, true, false, false).size(), 3u);
}

TEST(EscalationTest, RestartAtEveryStepDecidesTheSame) {
  Simulation sim(4);
  sim.restart_every_step = true;
  sim.confirm = [](const std::string&, const std::string& kind, WallTime s, WallTime now) {
    return kind == "fax" && ConfirmAfter(s, now, minutes(7));
  };
  sim.Run(kAware, kNotifyBy + minutes(5));
  EXPECT_TRUE(sim.Has("confirmed superior fax"));
}

// Nothing confirms: every channel, going loud, the phone task raised again,
// then the site accepts late and what is open is cancelled, each step
// through a restart.
TEST(EscalationTest, RestartAtEveryStepThroughLoudAndCancel) {
  Simulation sim(3);
  sim.restart_every_step = true;
  sim.site_accepts = [](WallTime now) { return now >= kNotifyBy + minutes(3); };
  sim.Run(kAware, kNotifyBy + minutes(5));
  EXPECT_TRUE(sim.Has("loud superior"));
  EXPECT_TRUE(sim.Has("cancel"));
  int phone_starts = 0;
  for (const auto& e : sim.timeline) phone_starts += e.what == "start superior phone";
  EXPECT_EQ(phone_starts, 2);
}

TEST(TemplatesTest, SmsIsFilledAndUnknownPlaceholdersAreRefused) {
  auto t = Templates::Default();
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  std::map<std::string, std::string> v = {{"agency", "範例局"}, {"level", "3"}, {"category", "非法入侵"},
                                          {"aware_at", "09:58"}, {"report_id", "abc"}, {"revision", "1"},
                                          {"reason", "網路中斷（connect）"}, {"callback", "07-1234567"},
                                          {"notify_by", "10:58"}, {"drill", ""}};
  auto sms = t->Render("sms", "zh", v);
  ASSERT_TRUE(sms.ok());
  EXPECT_NE(sms->find("範例局 第3級「非法入侵」"), std::string::npos) << *sms;
  v.erase("callback");
  EXPECT_FALSE(t->Render("sms", "zh", v).ok());
  EXPECT_FALSE(Templates::Load("[sms]\nzh = \"{nope}\"\nen = \"x\"\n", "t.toml").ok());
}

TEST(DirectoryTest, BadEntriesNameFileLineAndKey) {
  auto bad = LoadDirectory("[[recipient]]\nkey = \"a\"\nrole = \"boss\"\nname = \"n\"\nsource = \"s\"\n"
                           "verified = \"v\"\nchannels = [{ kind = \"sms\", address = \"+886912\" }]\n",
                           "r.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("r.toml:3: recipient[0].role: unknown role 'boss'"), std::string::npos)
      << bad.status().message();
  auto no_centre = LoadDirectory("[[recipient]]\nkey = \"a\"\nrole = \"superior_agency\"\nname = \"n\"\n"
                                 "source = \"s\"\nverified = \"v\"\nchannels = [{ kind = \"fax\", address = \"x\" }]\n",
                                 "r.toml");
  ASSERT_FALSE(no_centre.ok());
  EXPECT_NE(no_centre.status().message().find("'x' is not a valid fax address"), std::string::npos)
      << no_centre.status().message();
  EXPECT_EQ(Dir().recipients.size(), 3u);
  EXPECT_EQ(Dir().drill_recipients.size(), 2u);
}

}  // namespace
}  // namespace lifeline
