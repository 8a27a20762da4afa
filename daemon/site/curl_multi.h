// CurlMulti: one libcurl multi handle driven by an Asio io_context through
// CURLMOPT_SOCKETFUNCTION / CURLMOPT_TIMERFUNCTION, so transfers progress from
// socket readiness and curl's own timer, with no thread per request and no
// polling. Connections are cached and reused across transfers. Use from the
// io_context's thread only; the io_context must outlive this object.
#pragma once

#include <curl/curl.h>

#include <asio.hpp>
#include <functional>
#include <memory>
#include <unordered_map>

#include "daemon/core/status.h"

namespace lifeline::site_internal {

class CurlMulti {
 public:
  using Done = std::function<void(CURLcode)>;

  static Result<std::unique_ptr<CurlMulti>> Create(asio::io_context& io, long max_connections);
  ~CurlMulti();
  CurlMulti(const CurlMulti&) = delete;
  CurlMulti& operator=(const CurlMulti&) = delete;

  // Starts `easy` (configured, not owned; it must live until `done` runs or
  // Remove). `done` runs on the io thread, never from inside Add.
  Status Add(CURL* easy, Done done);
  // Abandons `easy` without calling its `done`.
  void Remove(CURL* easy);
  size_t active() const { return done_.size(); }

 private:
  struct Socket;
  CurlMulti(asio::io_context& io, CURLM* multi);

  static int OnSocket(CURL* easy, curl_socket_t fd, int what, void* self, void* socketp);
  static int OnTimer(CURLM* multi, long timeout_ms, void* self);
  static curl_socket_t OnOpenSocket(void* self, curlsocktype purpose, curl_sockaddr* addr);
  static int OnCloseSocket(void* self, curl_socket_t fd);

  std::shared_ptr<Socket> Track(curl_socket_t fd);
  void Forget(curl_socket_t fd);
  void Arm(const std::shared_ptr<Socket>& s);
  void Wait(const std::shared_ptr<Socket>& s, bool write);
  void Action(curl_socket_t fd, int events);
  void CollectDone();

  asio::io_context& io_;
  CURLM* multi_;
  asio::steady_timer timer_;
  bool timer_armed_ = false;
  uint64_t timer_generation_ = 0;  // tells the current wait from cancelled ones
  std::unordered_map<curl_socket_t, std::shared_ptr<Socket>> sockets_;
  std::unordered_map<CURL*, Done> done_;
  // Handlers hold a weak_ptr to this token: a completion already queued when
  // the CurlMulti is destroyed sees it expired and touches nothing.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace lifeline::site_internal
