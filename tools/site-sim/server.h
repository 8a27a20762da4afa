// site-sim's network side: the site API over HTTPS (or plain HTTP when told)
// on one loopback port and the admin API (faults, counts) over plain HTTP on
// another. Runs on one io_context thread; every connection is a coroutine.
#pragma once

#include <asio.hpp>
#include <asio/ssl.hpp>

#include <cstdint>
#include <memory>
#include <random>
#include <set>
#include <string>

#include "tools/site-sim/certs.h"
#include "tools/site-sim/faults.h"
#include "tools/site-sim/http_message.h"
#include "tools/site-sim/ledger.h"
#include "tools/site-sim/site_api.h"

namespace sitesim {

struct ServerOptions {
  std::string bind_address = "127.0.0.1";
  uint16_t api_port = 0;    // 0: the kernel picks
  uint16_t admin_port = 0;
  bool plain = false;       // start serving plain HTTP
  uint64_t seed = 1;        // for error_rate
};

class Server {
 public:
  Server(asio::io_context& io, ServerOptions opts, Ledger* ledger, CertPaths certs);
  bool Start(std::string* error);
  uint16_t api_port() const { return api_port_; }
  uint16_t admin_port() const { return admin_port_; }

 private:
  using tcp = asio::ip::tcp;
  bool OpenApiListener(std::string* error);
  void SetRefuse(bool refuse);
  asio::awaitable<void> AcceptLoop(tcp::acceptor& acceptor, bool admin);
  asio::awaitable<void> ServeConnection(tcp::socket socket);
  template <typename Stream>
  asio::awaitable<void> ServeHttp(Stream& stream, tcp::socket& raw, bool admin);
  template <typename Stream>
  asio::awaitable<bool> HandleApi(Stream& stream, tcp::socket& raw, const HttpRequest& req);
  HttpResponse HandleAdmin(const HttpRequest& req);
  HttpResponse ApplyFaultRequest(const HttpRequest& req);
  HttpResponse Throttled();
  asio::ssl::context& ContextFor(const std::string& cert);

  asio::io_context& io_;
  ServerOptions opts_;
  Ledger* ledger_;
  CertPaths certs_;
  SiteApi api_;
  Faults faults_;
  std::mt19937_64 rng_;
  std::unique_ptr<asio::ssl::context> good_ctx_, wrong_host_ctx_, untrusted_ctx_;
  tcp::acceptor api_acceptor_, admin_acceptor_;
  uint16_t api_port_ = 0, admin_port_ = 0;
  // API connections, closed on "refuse"; shared with each connection's frame.
  std::shared_ptr<std::set<tcp::socket*>> live_ = std::make_shared<std::set<tcp::socket*>>();
  uint64_t requests_ = 0;
  std::map<int, uint64_t> by_status_;
};

}  // namespace sitesim
