#include "daemon/core/log.h"
#include "daemon/http/http.h"
#include "daemon/metrics/metrics.h"

namespace lifeline {

using asio::ip::tcp;

Result<std::unique_ptr<MetricsServer>> MetricsServer::Listen(asio::io_context& io, const std::string& address,
                                                             uint16_t port, DaemonMetrics& metrics) {
  std::error_code ec;
  auto ip = asio::ip::make_address(address, ec);
  if (ec) return InvalidArgument("metrics: not an address: " + address);
  if (!ip.is_loopback()) return InvalidArgument("metrics: the plain-HTTP listener serves loopback only, not " + address);
  std::unique_ptr<MetricsServer> server(new MetricsServer(io, metrics));
  tcp::endpoint ep(ip, port);
  server->acceptor_.open(ep.protocol(), ec);
  if (!ec) server->acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) server->acceptor_.bind(ep, ec);
  if (!ec) server->acceptor_.listen(16, ec);
  if (ec) return IoError("metrics: cannot listen on " + address + ":" + std::to_string(port) + ": " + ec.message());
  server->port_ = server->acceptor_.local_endpoint().port();
  server->Accept();
  return server;
}

MetricsServer::~MetricsServer() {
  std::error_code ignored;
  acceptor_.close(ignored);
}

void MetricsServer::Accept() {
  acceptor_.async_accept([this](std::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (ec) spdlog::warn("metrics: accept failed: {}", ec.message());
    else {
      http::SessionOptions options;
      options.body_limit = [](const http::Request&) { return size_t{0}; };
      options.idle_timeout = std::chrono::seconds(30);
      auto handler = [this](http::Request& request, http::Reply reply) {
        if (request.Path() != "/metrics" || (request.method != "GET" && request.method != "HEAD")) {
          http::Response r;
          r.status = 404;
          r.body = "only GET /metrics here\n";
          return reply(r);
        }
        metrics_.Render([reply](Result<std::string> text) {
          http::Response r;
          r.status = text.ok() ? 200 : 503;
          r.headers.Add("content-type", text.ok() ? kMetricsContentType : "text/plain; charset=utf-8");
          r.body = text.ok() ? std::move(*text) : text.status().ToString() + "\n";
          reply(std::move(r));
        });
      };
      std::make_shared<http::Session<tcp::socket>>(std::move(socket), handler, options)->Start();
    }
    Accept();
  });
}

}  // namespace lifeline
