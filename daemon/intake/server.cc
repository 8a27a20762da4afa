#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>


#include "daemon/core/log.h"
#include "daemon/intake/intake.h"

namespace lifeline {
namespace {

using asio::local::stream_protocol;

// Bodies the API takes: a report or a revision is at most 1 MiB, anything
// else (a confirmation, a drill) far less.
size_t BodyLimitFor(const http::Request& head) {
  return head.Path().rfind("/v1/reports", 0) == 0 || head.Path().rfind("/v1/drills", 0) == 0
             ? http::kDefaultMaxBodyBytes
             : 64 * 1024;
}

// Whoever holds the socket (root, or a member of its group) is the box's
// administrator; their Unix user names them in the journal.
Principal LocalPrincipal(stream_protocol::socket& socket) {
  ucred cred{};
  socklen_t len = sizeof cred;
  std::string name = "unknown";
  if (getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
    passwd pw{};
    passwd* found = nullptr;
    char buf[1024];
    name = getpwuid_r(cred.uid, &pw, buf, sizeof buf, &found) == 0 && found ? found->pw_name
                                                                           : "uid " + std::to_string(cred.uid);
  }
  return Principal{"local:" + name, Role::kAdmin, "socket"};
}

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
    if (!ec) {
      http::SessionOptions options;
      options.body_limit = BodyLimitFor;
      options.default_headers = {{"cache-control", "no-store"}};
      auto handler = [this, who = LocalPrincipal(socket)](http::Request& request, http::Reply reply) {
        api_.Handle(request, who, std::move(reply));
      };
      std::make_shared<http::Session<stream_protocol::socket>>(std::move(socket), handler, options)->Start();
    }
    else spdlog::warn("accept on {} failed: {}", path_, ec.message());
    Accept();
  });
}

}  // namespace lifeline
