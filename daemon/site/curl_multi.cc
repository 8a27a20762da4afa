#include "daemon/site/curl_multi.h"

#include <sys/socket.h>
#include <unistd.h>

namespace lifeline::site_internal {

// One socket curl told us about. The descriptor never owns the fd: curl opens
// and closes it (through OnOpenSocket/OnCloseSocket), Asio only waits on it.
struct CurlMulti::Socket {
  Socket(asio::io_context& io, curl_socket_t fd) : sd(io, fd), fd(fd) {}
  ~Socket() {
    if (sd.is_open()) sd.release();
  }
  asio::posix::stream_descriptor sd;
  curl_socket_t fd;
  int want = 0;  // CURL_POLL_IN / OUT / INOUT
  bool reading = false, writing = false;
  bool ours = false;  // opened through OnOpenSocket, so OnCloseSocket will tell us
};

Result<std::unique_ptr<CurlMulti>> CurlMulti::Create(asio::io_context& io, long max_connections) {
  static const CURLcode kInit = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (kInit != CURLE_OK) return Internal("curl_global_init failed");
  CURLM* m = curl_multi_init();
  if (!m) return Internal("curl_multi_init failed");
  std::unique_ptr<CurlMulti> c(new CurlMulti(io, m));
  curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, &CurlMulti::OnSocket);
  curl_multi_setopt(m, CURLMOPT_SOCKETDATA, c.get());
  curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, &CurlMulti::OnTimer);
  curl_multi_setopt(m, CURLMOPT_TIMERDATA, c.get());
  // Bounded concurrency per host; extra transfers queue inside curl and then
  // reuse the cached connections instead of opening new ones.
  curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, max_connections);
  curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, max_connections);
  return c;
}

CurlMulti::CurlMulti(asio::io_context& io, CURLM* multi) : io_(io), multi_(multi), timer_(io) {}

CurlMulti::~CurlMulti() {
  for (auto& [easy, done] : done_) curl_multi_remove_handle(multi_, easy);
  done_.clear();
  curl_multi_cleanup(multi_);  // closes cached connections through OnCloseSocket
  sockets_.clear();
  timer_.cancel();
}

Status CurlMulti::Add(CURL* easy, Done done) {
  curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, &CurlMulti::OnOpenSocket);
  curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, this);
  curl_easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION, &CurlMulti::OnCloseSocket);
  curl_easy_setopt(easy, CURLOPT_CLOSESOCKETDATA, this);
  done_[easy] = std::move(done);
  CURLMcode rc = curl_multi_add_handle(multi_, easy);
  if (rc != CURLM_OK) {
    done_.erase(easy);
    return Internal(std::string("curl_multi_add_handle: ") + curl_multi_strerror(rc));
  }
  return Status::Ok();
}

void CurlMulti::Remove(CURL* easy) {
  if (done_.erase(easy)) curl_multi_remove_handle(multi_, easy);
}

curl_socket_t CurlMulti::OnOpenSocket(void* self, curlsocktype, curl_sockaddr* addr) {
  int fd = ::socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
  if (fd < 0) return CURL_SOCKET_BAD;
  auto* me = static_cast<CurlMulti*>(self);
  me->Forget(fd);  // a stale entry for a recycled fd number
  me->Track(fd)->ours = true;
  return fd;
}

int CurlMulti::OnCloseSocket(void* self, curl_socket_t fd) {
  static_cast<CurlMulti*>(self)->Forget(fd);  // deregister before the number can be reused
  return ::close(fd);
}

std::shared_ptr<CurlMulti::Socket> CurlMulti::Track(curl_socket_t fd) {
  auto it = sockets_.find(fd);
  if (it != sockets_.end()) return it->second;
  auto s = std::make_shared<Socket>(io_, fd);
  sockets_.emplace(fd, s);
  return s;
}

void CurlMulti::Forget(curl_socket_t fd) {
  auto it = sockets_.find(fd);
  if (it == sockets_.end()) return;
  it->second->want = 0;
  asio::error_code ec;
  it->second->sd.cancel(ec);  // pending waits complete with operation_aborted
  it->second->sd.release();
  sockets_.erase(it);
}

int CurlMulti::OnSocket(CURL*, curl_socket_t fd, int what, void* self, void*) {
  auto* me = static_cast<CurlMulti*>(self);
  if (what == CURL_POLL_REMOVE) {
    // Sockets curl opened through us stay tracked until OnCloseSocket, so a
    // cached keep-alive connection is not deregistered and re-registered.
    // Others (the resolver's wake-up pipe) close without telling us: drop now.
    auto it = me->sockets_.find(fd);
    if (it == me->sockets_.end()) return 0;
    if (it->second->ours) {
      it->second->want = 0;
    } else {
      me->Forget(fd);
    }
    return 0;
  }
  auto s = me->Track(fd);  // also sockets curl made itself (resolver pipes)
  s->want = what;
  me->Arm(s);
  return 0;
}

void CurlMulti::Arm(const std::shared_ptr<Socket>& s) {
  if ((s->want & CURL_POLL_IN) && !s->reading) Wait(s, false);
  if ((s->want & CURL_POLL_OUT) && !s->writing) Wait(s, true);
}

void CurlMulti::Wait(const std::shared_ptr<Socket>& s, bool write) {
  (write ? s->writing : s->reading) = true;
  auto type = write ? asio::posix::stream_descriptor::wait_write
                    : asio::posix::stream_descriptor::wait_read;
  std::weak_ptr<int> alive = alive_;
  s->sd.async_wait(type, [this, alive, s, write](const asio::error_code& ec) {
    (write ? s->writing : s->reading) = false;
    if (alive.expired() || ec == asio::error::operation_aborted) return;
    int flag = write ? CURL_POLL_OUT : CURL_POLL_IN;
    if (!(s->want & flag)) return;  // curl lost interest while we waited
    Action(s->fd, ec ? CURL_CSELECT_ERR : (write ? CURL_CSELECT_OUT : CURL_CSELECT_IN));
    auto it = sockets_.find(s->fd);
    if (it != sockets_.end() && it->second == s) Arm(s);
  });
}

int CurlMulti::OnTimer(CURLM*, long timeout_ms, void* self) {
  auto* me = static_cast<CurlMulti*>(self);
  if (timeout_ms < 0) {
    me->timer_armed_ = false;
    me->timer_.cancel();
    return 0;
  }
  auto due = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  // curl moves its timeout on nearly every call; re-arming the timerfd each time
  // was a quarter of the client's CPU in bench/replay. A timer already due no
  // later is kept: firing early only makes curl check and call us again.
  if (me->timer_armed_ && me->timer_.expiry() <= due) return 0;
  // curl forbids re-entering socket_action from this callback; even a zero
  // timeout goes through the loop.
  me->timer_.expires_at(due);
  me->timer_armed_ = true;
  uint64_t generation = ++me->timer_generation_;
  std::weak_ptr<int> alive = me->alive_;
  me->timer_.async_wait([me, alive, generation](const asio::error_code& ec) {
    if (alive.expired() || ec) return;
    if (generation == me->timer_generation_) me->timer_armed_ = false;
    me->Action(CURL_SOCKET_TIMEOUT, 0);
  });
  return 0;
}

void CurlMulti::Action(curl_socket_t fd, int events) {
  int running = 0;
  curl_multi_socket_action(multi_, fd, events, &running);
  CollectDone();
}

void CurlMulti::CollectDone() {
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL* easy = msg->easy_handle;
    CURLcode result = msg->data.result;
    auto it = done_.find(easy);
    curl_multi_remove_handle(multi_, easy);
    if (it == done_.end()) continue;
    Done done = std::move(it->second);
    done_.erase(it);
    // Posted so the callback may add or free easy handles freely.
    std::weak_ptr<int> alive = alive_;
    asio::post(io_, [alive, done = std::move(done), result] {
      if (!alive.expired()) done(result);
    });
  }
}

}  // namespace lifeline::site_internal

