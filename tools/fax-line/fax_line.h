// FaxLine: a simulated telephone line. One end is a software Class 1 fax modem
// (spandsp's T.31 emulation) whose serial side is a pseudo-terminal; the other end
// is an answering fax machine (spandsp's fax terminal) that writes what it
// receives to a TIFF. Audio runs at 8000 samples/s of line time in 20 ms chunks,
// paced in real time by default (a call takes as long as on a real line) or
// `speed` times faster; every delay below is line time, so a faster line keeps
// the same call, only shorter. The dialled number chooses the call's fate
// (busy, no answer, no dial tone, line cut mid-page, or answered).
// Single-threaded: Run() owns everything until Stop() is requested by a signal.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "daemon/core/status.h"

namespace lifeline::faxline {

struct LineOptions {
  std::string link_path;   // symlink created to the pty slave (e.g. /tmp/x/modem)
  std::string rx_dir;      // received TIFFs and calls.jsonl are written here
  std::string csi = "+886 2 2733 1655";  // the answering machine's identity
  std::string busy_number = "1111";
  std::string no_answer_number = "2222";
  std::string cut_number = "3333";
  std::string no_dialtone_number = "4444";
  std::chrono::milliseconds answer_delay{1500};   // rings before answering
  std::chrono::milliseconds no_answer_after{4000};
  // The line goes dead this long after the answering machine sent its first
  // CFR (confirmation to receive): CFR takes about 1 s on the line, then the
  // first page's image data follows, so 3 s lands inside any non-trivial page.
  std::chrono::milliseconds cut_after{3000};
  // Line time runs this many times faster than the monotonic clock (1..16).
  // The DTE's own timeouts are wall time and therefore only get more generous.
  int speed = 1;
  bool ecm = true;       // the answering machine offers ECM
  bool verbose = false;  // spandsp protocol logs to stderr
};

class FaxLine {
 public:
  explicit FaxLine(LineOptions options);
  ~FaxLine();
  FaxLine(const FaxLine&) = delete;
  FaxLine& operator=(const FaxLine&) = delete;

  // Creates the pty, the symlink and the modem. Fails on any OS error.
  Status Open();
  // Runs until *stop becomes true. Returns an error only for OS failures.
  Status Run(const std::atomic<bool>& stop);

  // Called by the spandsp callbacks (public so the C trampolines can reach them).
  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace lifeline::faxline
