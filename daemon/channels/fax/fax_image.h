// FaxPage: one monochrome fax page in memory, and its files: TIFF-F (the
// evidence copy of what was sent, readable by spandsp's T.4 transmitter) and a
// PNG preview for people. Pure data plus file I/O; each call is independent.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "daemon/core/status.h"

namespace lifeline::fax {

enum class Resolution { kFine, kStandard };  // 204x196 or 204x98 dpi

inline constexpr int kPageWidth = 1728;  // pixels across an ISO A4/B4 fax line

int YDpi(Resolution r);
// A4 length in rows at this resolution (297 mm).
int A4Rows(Resolution r);

struct FaxPage {
  int width = kPageWidth;
  int height = 0;
  std::vector<uint8_t> pixels;  // width*height, 1 = black

  FaxPage() = default;
  FaxPage(int w, int h) : width(w), height(h), pixels(static_cast<size_t>(w) * h, 0) {}
  bool Black(int x, int y) const { return pixels[static_cast<size_t>(y) * width + x] != 0; }
  void Set(int x, int y) {
    if (x >= 0 && y >= 0 && x < width && y < height) pixels[static_cast<size_t>(y) * width + x] = 1;
  }
  void FillRect(int x, int y, int w, int h);
  int BlackCount() const;
};

enum class TiffCoding { kMh, kMr, kT6 };

// Writes every page as one directory of a TIFF-F file (CCITT G3 1-D MH by
// default, fill order LSB-first, photometric min-is-white, page numbers).
Status WriteTiffF(const std::vector<FaxPage>& pages, Resolution res, const std::string& path,
                  TiffCoding coding = TiffCoding::kMh);
// Reads every page of a bilevel TIFF (any CCITT coding libtiff knows).
Result<std::vector<FaxPage>> ReadTiffPages(const std::string& path);
// The pages one under another, grey between them; standard-resolution rows are
// doubled so that the preview has the paper's proportions.
Status WritePngPreview(const std::vector<FaxPage>& pages, Resolution res, const std::string& path);
// The same preview in memory, `gap` grey rows after each page (0 for one page
// shown on its own, as the console does).
Result<std::string> EncodePngPreview(const std::vector<FaxPage>& pages, Resolution res, int gap);
// The first page's vertical resolution (fine when the file does not say).
Result<Resolution> ReadTiffResolution(const std::string& path);

}  // namespace lifeline::fax
