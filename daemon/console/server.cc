// The console's TLS listener: TLS 1.2 and 1.3 only, forward-secret AEAD
// ciphers only, a bounded number of connections, a handshake that must finish
// within ten seconds (plain HTTP on this port gets no page: its handshake
// fails), then HTTP/1.1 sessions over the encrypted stream.
#include <openssl/ssl.h>

#include <asio/ssl/stream.hpp>

#include "daemon/console/console.h"
#include "daemon/console/router.h"
#include "daemon/core/log.h"

namespace lifeline {
namespace {

using asio::ip::tcp;
using TlsStream = asio::ssl::stream<tcp::socket>;

// Modern TLS 1.2 suites (ECDHE with AES-GCM or ChaCha20-Poly1305); TLS 1.3's
// own suites are all acceptable and left as OpenSSL sets them.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

Status ConfigureTls(asio::ssl::context& ctx, const DeviceCertificate& cert) {
  ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                  asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1 |
                  asio::ssl::context::no_compression | asio::ssl::context::single_dh_use);
  SSL_CTX* native = ctx.native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) return Internal("no usable TLS 1.2 cipher suites");
  SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
  std::error_code ec;
  ctx.use_certificate_chain_file(cert.cert_file, ec);
  if (ec) return InvalidArgument("console certificate " + cert.cert_file + ": " + ec.message());
  ctx.use_private_key_file(cert.key_file, asio::ssl::context::pem, ec);
  if (ec) return InvalidArgument("console key " + cert.key_file + ": " + ec.message());
  if (SSL_CTX_check_private_key(native) != 1) return InvalidArgument("the console key does not match its certificate");
  return Status::Ok();
}

http::SessionOptions SessionOptionsFor() {
  http::SessionOptions o;
  o.body_limit = [](const http::Request& head) {
    return head.Path().rfind("/v1/reports", 0) == 0 || head.Path().rfind("/v1/drills", 0) == 0
               ? http::kDefaultMaxBodyBytes
               : 64 * 1024;
  };
  o.idle_timeout = std::chrono::seconds(120);
  o.default_headers = {
      {"cache-control", "no-store"},
      {"strict-transport-security", "max-age=31536000"},
      {"x-content-type-options", "nosniff"},
      {"x-frame-options", "DENY"},
      {"referrer-policy", "no-referrer"},
      {"cross-origin-opener-policy", "same-origin"},
      {"content-security-policy",
       "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"},
  };
  return o;
}

}  // namespace

ConsoleServer::ConsoleServer(asio::io_context& io, const Clock& clock, ConsoleOptions options, IntakeApi& api,
                             AsyncStore& store, HashWorker& hasher)
    : io_(io),
      options_(std::move(options)),
      tls_(asio::ssl::context::tls_server),
      acceptor_(io),
      router_(std::make_unique<Router>(clock, options_, api, store, hasher)) {}

ConsoleServer::~ConsoleServer() {
  std::error_code ignored;
  acceptor_.close(ignored);
}

Result<std::unique_ptr<ConsoleServer>> ConsoleServer::Start(asio::io_context& io, const Clock& clock,
                                                            ConsoleOptions options, IntakeApi& api, AsyncStore& store,
                                                            HashWorker& hasher) {
  auto cert = LoadOrCreateDeviceCertificate(options);
  if (!cert.ok()) return cert.status();
  std::unique_ptr<ConsoleServer> server(new ConsoleServer(io, clock, std::move(options), api, store, hasher));
  server->cert_ = *cert;
  LIFELINE_RETURN_IF_ERROR(ConfigureTls(server->tls_, server->cert_));
  LIFELINE_RETURN_IF_ERROR(server->Listen());
  server->Accept();
  return server;
}

Status ConsoleServer::Listen() {
  std::error_code ec;
  auto address = asio::ip::make_address(options_.listen_address, ec);
  if (ec) return InvalidArgument("console.listen: '" + options_.listen_address + "' is not an IP address");
  tcp::endpoint ep(address, options_.port);
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return IoError("console: cannot listen on " + options_.listen_address + ":" + std::to_string(options_.port) +
                   ": " + ec.message());
  }
  port_ = acceptor_.local_endpoint().port();
  return Status::Ok();
}

void ConsoleServer::Accept() {
  acceptor_.async_accept([this, alive = std::weak_ptr<int>(alive_)](std::error_code ec, tcp::socket socket) {
    if (alive.expired() || ec == asio::error::operation_aborted) return;
    if (ec) {
      spdlog::warn("console: accept failed: {}", ec.message());
    } else if (*connections_ >= options_.max_connections) {
      std::error_code ignored;
      socket.close(ignored);  // full: the next attempt may find room
    } else {
      Handshake(std::move(socket));
    }
    Accept();
  });
}

void ConsoleServer::Handshake(tcp::socket socket) {
  std::error_code ec;
  std::string address = socket.remote_endpoint(ec).address().to_string();
  auto stream = std::make_shared<TlsStream>(std::move(socket), tls_);
  auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::seconds(10));
  timer->async_wait([stream](std::error_code e) {
    if (e) return;
    std::error_code ignored;
    stream->lowest_layer().close(ignored);  // too slow: the handshake below fails
  });
  ++*connections_;
  stream->async_handshake(
      asio::ssl::stream_base::server,
      [this, stream, timer, address, count = connections_, alive = std::weak_ptr<int>(alive_)](std::error_code e) {
        timer->cancel();
        if (alive.expired() || e) {
          --*count;
          return;
        }
        // The connection count goes down when the session (and its stream) is gone.
        auto release = std::shared_ptr<void>(nullptr, [count](void*) { --*count; });
        http::Handler handler = [this, address, release](http::Request& request, http::Reply reply) {
          router_->Handle(request, address, std::move(reply));
        };
        std::make_shared<http::Session<TlsStream>>(std::move(*stream), handler, SessionOptionsFor())->Start();
      });
}

}  // namespace lifeline
