// The e-mail server's check: resolve, connect, and read the greeting.
#include <asio/connect.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read_until.hpp>
#include <asio/streambuf.hpp>

#include "daemon/watch/watch.h"

namespace lifeline {

namespace {

struct SmtpProbe : std::enable_shared_from_this<SmtpProbe> {
  SmtpProbe(asio::io_context& io, std::function<void(bool, std::string)> d)
      : resolver(io), socket(io), timer(io), done(std::move(d)) {}
  asio::ip::tcp::resolver resolver;
  asio::ip::tcp::socket socket;
  asio::steady_timer timer;
  asio::streambuf greeting;
  std::function<void(bool, std::string)> done;
  bool finished = false;

  void Finish(bool up, std::string detail) {
    if (finished) return;
    finished = true;
    timer.cancel();
    resolver.cancel();
    std::error_code ignored;
    socket.close(ignored);
    done(up, std::move(detail));
  }
};

}  // namespace

ContactCheck SmtpGreetingCheck(asio::io_context& io, std::string host, uint16_t port, bool implicit_tls,
                               std::chrono::seconds timeout) {
  return [&io, host, port, implicit_tls, timeout](std::function<void(bool, std::string)> done) {
    auto p = std::make_shared<SmtpProbe>(io, std::move(done));
    const std::string where = host + ":" + std::to_string(port);
    p->timer.expires_after(timeout);
    p->timer.async_wait([p, where](std::error_code ec) {
      if (!ec) p->Finish(false, "no answer from " + where + " in time");
    });
    p->resolver.async_resolve(host, std::to_string(port), [p, where, implicit_tls](std::error_code ec, auto results) {
      if (ec) return p->Finish(false, "cannot resolve " + where + ": " + ec.message());
      asio::async_connect(p->socket, results, [p, where, implicit_tls](std::error_code ec2, const auto&) {
        if (ec2) return p->Finish(false, "cannot connect to " + where + ": " + ec2.message());
        if (implicit_tls) return p->Finish(true, "connected to " + where);
        asio::async_read_until(p->socket, p->greeting, "\n", [p, where](std::error_code ec3, size_t) {
          if (ec3) return p->Finish(false, "no greeting from " + where + ": " + ec3.message());
          std::istream in(&p->greeting);
          std::string line;
          std::getline(in, line);
          if (line.rfind("220", 0) == 0) return p->Finish(true, "greeting from " + where);
          p->Finish(false, "unexpected greeting from " + where + ": " + line.substr(0, 80));
        });
      });
    });
  };
}

}  // namespace lifeline
