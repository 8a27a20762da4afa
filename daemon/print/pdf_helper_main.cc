// lifeline-pdf: reads one request (pdf_helper.h) on stdin, writes the answer
// on stdout and ends. It is started by lifeline_print, not by people; run by
// hand it refuses what is not a request of its own build.
//
// The process ends with _exit once the answer is written: what cairo, pango
// and fontconfig still hold goes with the process, and nothing they left for
// exit-time handlers can run after the answer or change the exit status.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "daemon/print/pdf_helper.h"

namespace {

bool ReadAll(int fd, std::string* into) {
  char buf[65536];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) into->append(buf, static_cast<size_t>(n));
    if (n == 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

bool WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = write(fd, bytes.data(), bytes.size());
    if (n > 0) bytes.remove_prefix(static_cast<size_t>(n));
    if (n < 0 && errno != EINTR) return false;
  }
  return true;
}

}  // namespace

int main() {
  using namespace lifeline;
  std::string request;
  if (!ReadAll(0, &request)) {
    std::perror("lifeline-pdf: stdin");
    _exit(1);
  }
  Result<std::string> pdf = Internal("nothing was rendered");
  auto req = print::DecodePdfRequest(LIFELINE_PDF_VERSION, request);
  if (!req.ok()) {
    pdf = req.status();
  } else if (req->document) {
    pdf = print::RenderPdfHere(*req->document);
  } else {
    pdf = print::RenderBitmapsPdfHere(req->bitmaps);
  }
  _exit(WriteAll(1, print::EncodePdfAnswer(pdf)) ? 0 : 1);
}
