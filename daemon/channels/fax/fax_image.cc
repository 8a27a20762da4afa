// libtiff and libpng glue for FaxPage. libtiff errors go to a handler that is
// silenced here, because every failure is already returned as a Status.
#include "daemon/channels/fax/fax_image.h"

#include <png.h>
#include <tiffio.h>

#include <cmath>
#include <cstdio>
#include <memory>

namespace lifeline::fax {
namespace {

void QuietTiff(const char*, const char*, va_list) {}

struct TiffCloser {
  void operator()(TIFF* t) const { TIFFClose(t); }
};
using TiffPtr = std::unique_ptr<TIFF, TiffCloser>;

TiffPtr OpenTiff(const std::string& path, const char* mode) {
  TIFFSetErrorHandler(QuietTiff);
  TIFFSetWarningHandler(QuietTiff);
  return TiffPtr(TIFFOpen(path.c_str(), mode));
}

void PackRow(const FaxPage& p, int y, std::vector<uint8_t>* row) {
  std::fill(row->begin(), row->end(), 0);
  for (int x = 0; x < p.width; ++x) {
    if (p.Black(x, y)) (*row)[x / 8] |= static_cast<uint8_t>(0x80 >> (x % 8));
  }
}

void SetPageTags(TIFF* t, const FaxPage& p, Resolution res, TiffCoding coding, int index, int count) {
  TIFFSetField(t, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
  TIFFSetField(t, TIFFTAG_IMAGEWIDTH, p.width);
  TIFFSetField(t, TIFFTAG_IMAGELENGTH, p.height);
  TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 1);
  TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
  TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
  TIFFSetField(t, TIFFTAG_FILLORDER, FILLORDER_LSB2MSB);
  TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
  TIFFSetField(t, TIFFTAG_ORIENTATION, ORIENTATION_TOPLEFT);
  TIFFSetField(t, TIFFTAG_XRESOLUTION, 204.0f);
  TIFFSetField(t, TIFFTAG_YRESOLUTION, static_cast<float>(YDpi(res)));
  TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
  TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, p.height);
  TIFFSetField(t, TIFFTAG_PAGENUMBER, index, count);
  TIFFSetField(t, TIFFTAG_CLEANFAXDATA, CLEANFAXDATA_CLEAN);
  TIFFSetField(t, TIFFTAG_SOFTWARE, "lifeline");
  if (coding == TiffCoding::kT6) {
    TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
  } else {
    TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX3);
    TIFFSetField(t, TIFFTAG_GROUP3OPTIONS,
                 coding == TiffCoding::kMr ? GROUP3OPT_2DENCODING | GROUP3OPT_FILLBITS
                                           : GROUP3OPT_FILLBITS);
  }
}

}  // namespace

int YDpi(Resolution r) { return r == Resolution::kFine ? 196 : 98; }
int A4Rows(Resolution r) { return static_cast<int>(std::lround(297.0 / 25.4 * YDpi(r))); }

void FaxPage::FillRect(int x, int y, int w, int h) {
  for (int yy = y; yy < y + h; ++yy) {
    for (int xx = x; xx < x + w; ++xx) Set(xx, yy);
  }
}

int FaxPage::BlackCount() const {
  int n = 0;
  for (uint8_t v : pixels) n += v != 0;
  return n;
}

Status WriteTiffF(const std::vector<FaxPage>& pages, Resolution res, const std::string& path,
                  TiffCoding coding) {
  if (pages.empty()) return InvalidArgument("no pages to write");
  TiffPtr t = OpenTiff(path, "w");
  if (!t) return IoError("cannot create TIFF " + path);
  const int count = static_cast<int>(pages.size());
  for (int i = 0; i < count; ++i) {
    const FaxPage& p = pages[i];
    if (p.width <= 0 || p.height <= 0) return InvalidArgument("empty page");
    SetPageTags(t.get(), p, res, coding, i, count);
    std::vector<uint8_t> row((p.width + 7) / 8);
    for (int y = 0; y < p.height; ++y) {
      PackRow(p, y, &row);
      if (TIFFWriteScanline(t.get(), row.data(), y, 0) < 0) return IoError("TIFF write " + path);
    }
    if (!TIFFWriteDirectory(t.get())) return IoError("TIFF directory " + path);
  }
  return Status::Ok();
}

Result<std::vector<FaxPage>> ReadTiffPages(const std::string& path) {
  TiffPtr t = OpenTiff(path, "r");
  if (!t) return NotFound("cannot open TIFF " + path);
  std::vector<FaxPage> pages;
  do {
    uint32_t w = 0, h = 0;
    uint16_t bps = 1, photometric = PHOTOMETRIC_MINISWHITE;
    TIFFGetField(t.get(), TIFFTAG_IMAGEWIDTH, &w);
    TIFFGetField(t.get(), TIFFTAG_IMAGELENGTH, &h);
    TIFFGetFieldDefaulted(t.get(), TIFFTAG_BITSPERSAMPLE, &bps);
    TIFFGetFieldDefaulted(t.get(), TIFFTAG_PHOTOMETRIC, &photometric);
    if (bps != 1 || w == 0 || h == 0 || w > 10000 || h > 100000) {
      return Corruption("not a bilevel fax TIFF: " + path);
    }
    FaxPage p(static_cast<int>(w), static_cast<int>(h));
    std::vector<uint8_t> row(TIFFScanlineSize(t.get()));
    const bool ink_is_one = photometric == PHOTOMETRIC_MINISWHITE;
    for (uint32_t y = 0; y < h; ++y) {
      if (TIFFReadScanline(t.get(), row.data(), y, 0) < 0) return Corruption("bad row in " + path);
      for (uint32_t x = 0; x < w; ++x) {
        const bool bit = (row[x / 8] >> (7 - x % 8)) & 1;
        if (bit == ink_is_one) p.Set(static_cast<int>(x), static_cast<int>(y));
      }
    }
    pages.push_back(std::move(p));
  } while (TIFFReadDirectory(t.get()));
  return pages;
}

Result<Resolution> ReadTiffResolution(const std::string& path) {
  TiffPtr t = OpenTiff(path, "r");
  if (!t) return NotFound("cannot open TIFF " + path);
  float y_dpi = 0;
  uint16_t unit = RESUNIT_INCH;
  if (TIFFGetField(t.get(), TIFFTAG_YRESOLUTION, &y_dpi) != 1) return Resolution::kFine;
  TIFFGetFieldDefaulted(t.get(), TIFFTAG_RESOLUTIONUNIT, &unit);
  if (unit == RESUNIT_CENTIMETER) y_dpi *= 2.54f;
  return y_dpi < 150 ? Resolution::kStandard : Resolution::kFine;
}

namespace {

void AppendPngBytes(png_structp png, png_bytep data, png_size_t length) {
  static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<const char*>(data), length);
}

}  // namespace

Result<std::string> EncodePngPreview(const std::vector<FaxPage>& pages, Resolution res, int gap) {
  if (pages.empty()) return InvalidArgument("no pages to preview");
  const int repeat = res == Resolution::kStandard ? 2 : 1;
  int width = 0, height = 0;
  for (const auto& p : pages) {
    width = std::max(width, p.width);
    height += p.height * repeat + gap;
  }
  std::string out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (png == nullptr || info == nullptr || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return Internal("PNG encoding failed");
  }
  png_set_write_fn(png, &out, AppendPngBytes, nullptr);
  png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  std::vector<png_byte> row(width);
  for (const auto& p : pages) {
    for (int y = 0; y < p.height; ++y) {
      for (int x = 0; x < width; ++x) row[x] = (x < p.width && p.Black(x, y)) ? 0 : 255;
      for (int k = 0; k < repeat; ++k) png_write_row(png, row.data());
    }
    std::fill(row.begin(), row.end(), 160);
    for (int k = 0; k < gap; ++k) png_write_row(png, row.data());
  }
  png_write_end(png, info);
  png_destroy_write_struct(&png, &info);
  return out;
}

Status WritePngPreview(const std::vector<FaxPage>& pages, Resolution res, const std::string& path) {
  auto bytes = EncodePngPreview(pages, res, 24);
  if (!bytes.ok()) return bytes.status();
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return IoError("cannot create PNG " + path);
  const bool written = std::fwrite(bytes->data(), 1, bytes->size(), f) == bytes->size();
  const bool closed = std::fclose(f) == 0;
  return written && closed ? Status::Ok() : IoError("cannot write PNG " + path);
}

}  // namespace lifeline::fax
