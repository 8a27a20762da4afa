// fax-line checked against fax software we did not write: Debian's efax sends
// a page (made by efix) through the simulated modem, and the answering machine
// must receive it whole.
#include <gtest/gtest.h>
#include <tiffio.h>

#include <cstdlib>
#include <fstream>

#include "tests/integration/fax/fax_line_process.h"

namespace lifeline::testing {
namespace {

int RunShell(const std::string& cmd) {
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

TEST(EfaxInterop, EfaxSendsOnePageThroughFaxLine) {
  const std::string dir = FreshTestDir("efax");
  {
    std::ofstream txt(dir + "/page.txt");
    txt << "lifeline fax-line interoperability page\nsecond line: efix renders ASCII text only\n";
  }
  ASSERT_EQ(RunShell("cd " + dir + " && efix -i text -o tiffg3 -n page.%03d page.txt 2>efix.log"), 0);
  FaxLineProcess line(dir);
  ASSERT_TRUE(line.Start());
  // -o1: Class 1; efax's own timeouts end a stuck call, `timeout` bounds the test.
  const int rc = RunShell("cd " + dir + " && timeout 150 efax -d " + line.modem() +
                     " -o1 -t 5551234 page.001 >efax.log 2>&1");
  EXPECT_EQ(rc, 0) << "see " << dir << "/efax.log";
  auto calls = line.Calls(1, std::chrono::seconds(15));
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0]["number"], "5551234");
  EXPECT_EQ(calls[0]["outcome"], "received");
  EXPECT_EQ(calls[0]["pages_received"], 1);
  EXPECT_EQ(calls[0]["phase_e_code"], 0);
  TIFF* tif = TIFFOpen(calls[0]["rx_file"].get<std::string>().c_str(), "r");
  ASSERT_NE(tif, nullptr);
  uint32_t width = 0, rows = 0;
  TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &width);
  TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &rows);
  TIFFClose(tif);
  EXPECT_EQ(width, 1728u);
  EXPECT_GT(rows, 1000u);  // a whole fine-resolution page, not a fragment
}

}  // namespace
}  // namespace lifeline::testing
