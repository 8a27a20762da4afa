#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include "daemon/core/log.h"
#include "daemon/intake/intake.h"

namespace lifeline {
namespace {

using asio::local::stream_protocol;

// One client connection: read, parse, answer, repeat while keep-alive. Kept
// alive by the shared_ptr captured in its pending async operation.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(stream_protocol::socket socket, IntakeApi& api) : socket_(std::move(socket)), api_(api) {}
  void Start() { Read(); }

 private:
  void Read() {
    auto self = shared_from_this();
    socket_.async_read_some(asio::buffer(buf_), [this, self](std::error_code ec, size_t n) {
      if (ec) return;  // client went away
      pending_.append(buf_.data(), n);
      Process();
    });
  }

  void Process() {
    size_t used = parser_.Feed(pending_);
    pending_.erase(0, used);
    switch (parser_.state()) {
      case http::RequestParser::State::kNeedMore:
        return Read();
      case http::RequestParser::State::kError: {
        http::Response r;
        r.status = parser_.error_status();
        r.body = nlohmann::json{{"error", "bad_request"}, {"message", parser_.error()}}.dump();
        r.close = true;
        return Write(std::move(r));
      }
      case http::RequestParser::State::kComplete: {
        auto self = shared_from_this();
        bool keep = parser_.request().keep_alive;
        api_.Handle(parser_.request(), [this, self, keep](http::Response r) {
          r.close = r.close || !keep;
          Write(std::move(r));
        });
      }
    }
  }

  void Write(http::Response r) {
    auto self = shared_from_this();
    auto data = std::make_shared<std::string>(http::Serialize(r));
    bool close = r.close;
    asio::async_write(socket_, asio::buffer(*data), [this, self, data, close](std::error_code ec, size_t) {
      if (ec || close) {
        std::error_code ignored;
        socket_.shutdown(stream_protocol::socket::shutdown_both, ignored);
        return;
      }
      parser_.Reset();
      Process();
    });
  }

  stream_protocol::socket socket_;
  IntakeApi& api_;
  http::RequestParser parser_;
  std::array<char, 16384> buf_;
  std::string pending_;
};

// A socket file left by a crashed daemon is removed; a live one is an error.
Status ClaimPath(asio::io_context& io, const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return Status::Ok();
  if (!S_ISSOCK(st.st_mode)) return FailedPrecondition(path + " exists and is not a socket");
  stream_protocol::socket probe(io);
  std::error_code ec;
  probe.connect(stream_protocol::endpoint(path), ec);
  if (!ec) return FailedPrecondition("another lifelined is listening on " + path);
  if (unlink(path.c_str()) != 0) return IoError("cannot remove stale socket " + path);
  return Status::Ok();
}

Status RestrictToGroup(const std::string& path, const std::string& group) {
  if (!group.empty()) {
    struct group* g = getgrnam(group.c_str());
    if (!g) return InvalidArgument("daemon.socket_group: no group named '" + group + "'");
    if (chown(path.c_str(), static_cast<uid_t>(-1), g->gr_gid) != 0) {
      return Status(StatusCode::kPermissionDenied, "cannot give " + path + " to group " + group);
    }
  }
  if (chmod(path.c_str(), 0660) != 0) return IoError("cannot set mode 0660 on " + path);
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<IntakeServer>> IntakeServer::Listen(asio::io_context& io, const std::string& path,
                                                           const std::string& group, IntakeApi& api) {
  LIFELINE_RETURN_IF_ERROR(ClaimPath(io, path));
  std::unique_ptr<IntakeServer> server(new IntakeServer(io, api, path));
  std::error_code ec;
  stream_protocol::endpoint ep(path);
  // The socket is created with the umask; tighten before anyone can connect.
  mode_t old = umask(0117);
  server->acceptor_.open(ep.protocol(), ec);
  if (!ec) server->acceptor_.bind(ep, ec);
  umask(old);
  if (!ec) server->acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return IoError("cannot listen on " + path + ": " + ec.message());
  LIFELINE_RETURN_IF_ERROR(RestrictToGroup(path, group));
  server->Accept();
  return server;
}

IntakeServer::~IntakeServer() {
  std::error_code ignored;
  acceptor_.close(ignored);
  unlink(path_.c_str());
}

void IntakeServer::Accept() {
  acceptor_.async_accept([this](std::error_code ec, stream_protocol::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) std::make_shared<Connection>(std::move(socket), api_)->Start();
    else spdlog::warn("accept on {} failed: {}", path_, ec.message());
    Accept();
  });
}

}  // namespace lifeline
