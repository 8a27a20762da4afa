#include "tools/site-sim/server.h"

#include <spdlog/spdlog.h>

namespace sitesim {
namespace {

using asio::use_awaitable;

void LogEnd(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::debug("connection ended: {}", ex.what());
  }
}

std::unique_ptr<asio::ssl::context> MakeContext(const std::string& cert, const std::string& key) {
  auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1);
  ctx->use_certificate_chain_file(cert);
  ctx->use_private_key_file(key, asio::ssl::context::pem);
  return ctx;
}

// Closes with RST instead of FIN, as a crashing middlebox or server would.
void Reset(asio::ip::tcp::socket& s) {
  asio::error_code ec;
  s.set_option(asio::socket_base::linger(true, 0), ec);
  s.close(ec);
}

}  // namespace

Server::Server(asio::io_context& io, ServerOptions opts, Ledger* ledger, CertPaths certs)
    : io_(io), opts_(std::move(opts)), ledger_(ledger), certs_(std::move(certs)), api_(ledger),
      rng_(opts_.seed), api_acceptor_(io), admin_acceptor_(io) {
  faults_.tls = !opts_.plain;
}

bool Server::Start(std::string* error) {
  try {
    good_ctx_ = MakeContext(certs_.server_cert, certs_.server_key);
    wrong_host_ctx_ = MakeContext(certs_.wrong_host_cert, certs_.wrong_host_key);
    untrusted_ctx_ = MakeContext(certs_.untrusted_cert, certs_.untrusted_key);
    auto addr = asio::ip::make_address(opts_.bind_address);
    admin_acceptor_ = tcp::acceptor(io_, tcp::endpoint(addr, opts_.admin_port));
    admin_port_ = admin_acceptor_.local_endpoint().port();
  } catch (const std::exception& e) {
    *error = e.what();
    return false;
  }
  api_port_ = opts_.api_port;
  if (!OpenApiListener(error)) return false;
  asio::co_spawn(io_, AcceptLoop(admin_acceptor_, true), LogEnd);
  return true;
}

bool Server::OpenApiListener(std::string* error) {
  asio::error_code ec;
  tcp::endpoint ep(asio::ip::make_address(opts_.bind_address, ec), api_port_);
  if (!ec) api_acceptor_.open(ep.protocol(), ec);
  if (!ec) api_acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) api_acceptor_.bind(ep, ec);
  if (!ec) api_acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    *error = "cannot listen on " + opts_.bind_address + ":" + std::to_string(api_port_) + ": " +
             ec.message();
    asio::error_code ignored;
    api_acceptor_.close(ignored);
    return false;
  }
  api_port_ = api_acceptor_.local_endpoint().port();
  asio::co_spawn(io_, AcceptLoop(api_acceptor_, false), LogEnd);
  return true;
}

void Server::SetRefuse(bool refuse) {
  if (refuse == faults_.refuse) return;
  faults_.refuse = refuse;
  asio::error_code ec;
  if (refuse) {
    api_acceptor_.close(ec);
    for (tcp::socket* s : *live_) Reset(*s);
    return;
  }
  std::string error;
  if (!OpenApiListener(&error)) spdlog::error("reopening the API listener: {}", error);
}

asio::awaitable<void> Server::AcceptLoop(tcp::acceptor& acceptor, bool admin) {
  for (;;) {
    tcp::socket s = co_await acceptor.async_accept(use_awaitable);
    if (admin) {
      auto serve = [this](tcp::socket sock) -> asio::awaitable<void> {
        co_await ServeHttp(sock, sock, true);
      };
      asio::co_spawn(io_, serve(std::move(s)), LogEnd);
    } else {
      asio::co_spawn(io_, ServeConnection(std::move(s)), LogEnd);
    }
  }
}

asio::ssl::context& Server::ContextFor(const std::string& cert) {
  if (cert == "wrong-host") return *wrong_host_ctx_;
  if (cert == "untrusted") return *untrusted_ctx_;
  return *good_ctx_;
}

namespace {

// A connection in the live set while its coroutine frame exists. The frame
// may be destroyed by the io_context's shutdown after the Server is gone, so
// it shares the set's ownership.
class LiveSocket {
 public:
  using tcp = asio::ip::tcp;
  LiveSocket(std::shared_ptr<std::set<tcp::socket*>> live, tcp::socket* s) : live_(std::move(live)), s_(s) {
    live_->insert(s_);
  }
  ~LiveSocket() { live_->erase(s_); }
  LiveSocket(const LiveSocket&) = delete;
  LiveSocket& operator=(const LiveSocket&) = delete;

 private:
  std::shared_ptr<std::set<tcp::socket*>> live_;
  tcp::socket* s_;
};

}  // namespace

asio::awaitable<void> Server::ServeConnection(tcp::socket socket) {
  socket.set_option(tcp::no_delay(true));
  if (!faults_.tls) {
    LiveSocket guard(live_, &socket);
    co_await ServeHttp(socket, socket, false);
    co_return;
  }
  asio::ssl::stream<tcp::socket> tls(std::move(socket), ContextFor(faults_.cert));
  tcp::socket& raw = tls.next_layer();
  LiveSocket guard(live_, &raw);
  co_await tls.async_handshake(asio::ssl::stream_base::server, use_awaitable);
  co_await ServeHttp(tls, raw, false);
}

template <typename Stream>
asio::awaitable<void> Server::ServeHttp(Stream& stream, tcp::socket& raw, bool admin) {
  using lifeline::http::RequestParser;
  std::string buf;
  char chunk[16 * 1024];
  RequestParser parser([](const HttpRequest&) { return kMaxBodyBytes; });
  for (;;) {
    parser.Reset();
    buf.erase(0, parser.Feed(buf));
    while (parser.state() == RequestParser::State::kNeedMore) {
      size_t n = co_await stream.async_read_some(asio::buffer(chunk), use_awaitable);
      buf.append(chunk, n);
      buf.erase(0, parser.Feed(buf));
    }
    if (parser.state() == RequestParser::State::kError) {
      std::string out = SerializeResponse(ErrorResponse(parser.error_status(), "bad_request", parser.error()),
                                          false);
      co_await asio::async_write(stream, asio::buffer(out), use_awaitable);
      co_return;
    }
    const HttpRequest& req = parser.request();
    if (admin) {
      std::string out = SerializeResponse(HandleAdmin(req), req.keep_alive);
      co_await asio::async_write(stream, asio::buffer(out), use_awaitable);
    } else if (!co_await HandleApi(stream, raw, req)) {
      co_return;
    }
    if (!req.keep_alive) co_return;
  }
}

// Returns false when the connection must end (stall, reset).
template <typename Stream>
asio::awaitable<bool> Server::HandleApi(Stream& stream, tcp::socket& raw, const HttpRequest& req) {
  ++requests_;
  FaultDecision d = DecideFault(&faults_, req.Path() == "/v1/health", &rng_);
  if (d.action == FaultAction::kStall) {
    // Hold the request until the client gives up and closes (read then fails).
    char sink[1024];
    for (;;) co_await stream.async_read_some(asio::buffer(sink), use_awaitable);
  }
  Prepared p;
  if (d.action == FaultAction::kError) {
    p.response = ErrorResponse(faults_.error_status, "unavailable", "injected fault");
  } else if (d.action == FaultAction::kThrottle) {
    p.response = Throttled();
  } else {
    p = api_.Prepare(req);
  }
  if (d.delay_ms > 0) {
    asio::steady_timer t(io_, std::chrono::milliseconds(d.delay_ms));
    asio::error_code ec;
    co_await t.async_wait(asio::redirect_error(use_awaitable, ec));
  }
  HttpResponse r = p.write ? api_.Commit(*p.write) : *p.response;
  if (d.garble_after_commit) {
    HttpResponse garbled;
    garbled.status = faults_.garble_status;
    garbled.headers.Add("content-type", "application/json");
    garbled.body = faults_.garble_body;
    r = std::move(garbled);
  }
  ++by_status_[r.status];
  std::string out = SerializeResponse(r, req.keep_alive);
  if (d.reset_after_commit) {
    co_await asio::async_write(stream, asio::buffer(out.data(), out.size() / 2), use_awaitable);
    Reset(raw);
    co_return false;
  }
  co_await asio::async_write(stream, asio::buffer(out), use_awaitable);
  co_return true;
}

HttpResponse Server::Throttled() {
  HttpResponse r = ErrorResponse(429, "throttled", "injected throttling");
  if (faults_.retry_after_form == "http-date") {
    r.headers.Set("Retry-After", lifeline::http::FormatHttpDate(std::chrono::system_clock::now() +
                                                                std::chrono::seconds(faults_.retry_after_seconds)));
  } else {
    r.headers.Set("Retry-After", std::to_string(faults_.retry_after_seconds));
  }
  return r;
}

HttpResponse Server::ApplyFaultRequest(const HttpRequest& req) {
  Faults next;
  next.tls = !opts_.plain;
  if (req.method == "POST") {
    nlohmann::json j = nlohmann::json::parse(req.body, nullptr, false);
    if (j.is_discarded()) return ErrorResponse(400, "bad_request", "body is not JSON");
    next = faults_;
    std::string error;
    if (!ApplyFaults(j, &next, &error)) return ErrorResponse(400, "bad_request", error);
  }
  bool want_refuse = next.refuse;
  next.refuse = faults_.refuse;  // SetRefuse owns the transition
  faults_ = next;
  SetRefuse(want_refuse);
  HttpResponse r;
  r.body = FaultsToJson(faults_).dump();
  return r;
}

HttpResponse Server::HandleAdmin(const HttpRequest& req) {
  std::string path = req.Path();
  HttpResponse r;
  if (path == "/admin/faults") {
    if (req.method == "GET") {
      r.body = FaultsToJson(faults_).dump();
      return r;
    }
    if (req.method == "POST" || req.method == "DELETE") return ApplyFaultRequest(req);
    return ErrorResponse(405, "bad_request", "GET, POST or DELETE");
  }
  if (path == "/admin/count") {
    std::string key = req.Query("key").value_or(""), report = req.Query("report_id").value_or("");
    int revision = std::atoi(req.Query("revision").value_or("").c_str());
    if (key.empty() == report.empty()) {
      return ErrorResponse(400, "bad_request", "give exactly one of key= or report_id=");
    }
    std::string stage = req.Query("stage").value_or("");
    int64_t n = !key.empty()      ? ledger_->CountByKey(key)
                : !stage.empty() ? ledger_->CountStage(report, stage)
                                 : ledger_->CountByReport(report, revision);
    r.body = nlohmann::json{{"records", n}}.dump(-1, ' ', false,
                                                  nlohmann::json::error_handler_t::replace);
    return r;
  }
  if (path == "/admin/stats") {
    nlohmann::json by = nlohmann::json::object();
    for (const auto& [status, n] : by_status_) by[std::to_string(status)] = n;
    r.body = nlohmann::json{{"records", ledger_->Total()}, {"requests", requests_},
                            {"in_flight", api_.InFlight()}, {"by_status", by}}.dump();
    return r;
  }
  return ErrorResponse(404, "not_found", "admin paths: /admin/faults, /admin/count, /admin/stats");
}

}  // namespace sitesim
