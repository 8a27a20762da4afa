// The two state machines of the store, as tables of allowed moves.
#include <utility>

#include "daemon/store/store.h"

namespace lifeline {
namespace {

constexpr std::pair<ReportState, ReportState> kReportMoves[] = {
    {ReportState::kQueued, ReportState::kAccepted},
    {ReportState::kQueued, ReportState::kFallback},
    {ReportState::kFallback, ReportState::kAcceptedLate},
    // Closing (stage 3, 結案) follows the site's acceptance of the report.
    {ReportState::kAccepted, ReportState::kClosed},
    {ReportState::kAcceptedLate, ReportState::kClosed},
};

constexpr std::pair<NotificationState, NotificationState> kNotificationMoves[] = {
    {NotificationState::kPending, NotificationState::kInProgress},
    {NotificationState::kPending, NotificationState::kCancelled},
    {NotificationState::kInProgress, NotificationState::kConfirmed},
    {NotificationState::kInProgress, NotificationState::kFailed},
    {NotificationState::kInProgress, NotificationState::kCancelled},
    {NotificationState::kFailed, NotificationState::kInProgress},
};

constexpr const char* kReportNames[] = {"queued", "accepted", "fallback", "accepted_late", "closed"};
constexpr const char* kNotificationNames[] = {"pending", "in_progress", "confirmed", "failed", "cancelled"};

template <typename E, size_t N>
Result<E> Parse(std::string_view s, const char* const (&names)[N], const char* what) {
  for (size_t i = 0; i < N; ++i) {
    if (s == names[i]) return static_cast<E>(i);
  }
  return Corruption("unknown " + std::string(what) + " state '" + std::string(s) + "'");
}

template <typename E, size_t N>
Status Check(E from, E to, const std::pair<E, E> (&moves)[N], const char* what) {
  for (const auto& m : moves) {
    if (m.first == from && m.second == to) return Status::Ok();
  }
  return FailedPrecondition(std::string(what) + " cannot move from " + std::string(Name(from)) +
                            " to " + std::string(Name(to)));
}

}  // namespace

std::string_view Name(ReportState s) { return kReportNames[static_cast<int>(s)]; }
std::string_view Name(NotificationState s) { return kNotificationNames[static_cast<int>(s)]; }
Result<ReportState> ParseReportState(std::string_view s) {
  return Parse<ReportState>(s, kReportNames, "report");
}
Result<NotificationState> ParseNotificationState(std::string_view s) {
  return Parse<NotificationState>(s, kNotificationNames, "notification");
}
Status CheckTransition(ReportState from, ReportState to) {
  return Check(from, to, kReportMoves, "a report");
}
Status CheckTransition(NotificationState from, NotificationState to) {
  return Check(from, to, kNotificationMoves, "a notification");
}

}  // namespace lifeline
