// The PDF helper's request and answer (pdf_helper.h). Integers are 32-bit
// little-endian, doubles their IEEE-754 bits as 64-bit little-endian, strings
// a length and their bytes (any bytes: a fax identity is not always UTF-8),
// pixels eight to a byte, the first pixel in the high bit.
#include <bit>
#include <cstdint>
#include <cstring>

#include "daemon/print/pdf_helper.h"

namespace lifeline::print {
namespace {

constexpr std::string_view kMagic = "lifeline-pdf ";
constexpr char kDocument = 'D', kBitmaps = 'B', kPdf = 'P', kRefused = 'E';

class Writer {
 public:
  void U32(uint32_t v) {
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>(v >> (8 * i)));
  }
  void F64(double d) {
    const auto v = std::bit_cast<uint64_t>(d);
    U32(static_cast<uint32_t>(v));
    U32(static_cast<uint32_t>(v >> 32));
  }
  void Str(std::string_view s) {
    U32(static_cast<uint32_t>(s.size()));
    out_.append(s);
  }
  void Strs(const std::vector<std::string>& v) {
    U32(static_cast<uint32_t>(v.size()));
    for (const std::string& s : v) Str(s);
  }
  void Raw(std::string_view s) { out_.append(s); }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

// Reads what Writer wrote; the first shortfall makes every later read fail
// and ok() false, so a decoder checks once at the end.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool done() const { return ok_ && in_.empty(); }
  uint32_t U32() {
    if (!Need(4)) return 0;
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t{static_cast<unsigned char>(in_[i])} << (8 * i);
    in_.remove_prefix(4);
    return v;
  }
  double F64() {
    const uint64_t lo = U32(), hi = U32();
    return std::bit_cast<double>(lo | hi << 32);
  }
  std::string_view Bytes(size_t n) {
    if (!Need(n)) return {};
    std::string_view b = in_.substr(0, n);
    in_.remove_prefix(n);
    return b;
  }
  std::string Str() { return std::string(Bytes(U32())); }
  // A count of things each at least `min_size` bytes long: one that the rest
  // of the input cannot hold is refused before anything is reserved for it.
  uint32_t Count(size_t min_size) {
    const uint32_t n = U32();
    if (!ok_ || n > in_.size() / min_size) ok_ = false;
    return ok_ ? n : 0;
  }
  std::vector<std::string> Strs() {
    std::vector<std::string> v(Count(4));
    for (std::string& s : v) s = Str();
    return v;
  }

 private:
  bool Need(size_t n) {
    if (ok_ && in_.size() >= n) return true;
    ok_ = false;
    return false;
  }
  std::string_view in_;
  bool ok_ = true;
};

void Header(Writer& w, std::string_view version, char kind) {
  w.Raw(kMagic);
  w.Raw(version);
  w.Raw("\n");
  w.Raw(std::string_view(&kind, 1));
}

}  // namespace

std::string EncodePdfRequest(std::string_view version, const Document& doc) {
  Writer w;
  Header(w, version, kDocument);
  for (const std::string* s : {&doc.title, &doc.subtitle, &doc.header, &doc.footer, &doc.lang, &doc.created}) w.Str(*s);
  w.U32(static_cast<uint32_t>(doc.blocks.size()));
  for (const Block& b : doc.blocks) {
    w.U32(static_cast<uint32_t>(b.kind));
    w.Str(b.text);
    w.Strs(b.table.header);
    w.U32(static_cast<uint32_t>(b.table.rows.size()));
    for (const auto& row : b.table.rows) w.Strs(row);
    w.U32(static_cast<uint32_t>(b.table.widths.size()));
    for (double width : b.table.widths) w.F64(width);
    w.Strs(b.signers);
    w.Strs(b.signed_text);
  }
  return w.Take();
}

std::string EncodePdfRequest(std::string_view version, const std::vector<Bitmap>& pages) {
  Writer w;
  Header(w, version, kBitmaps);
  w.U32(static_cast<uint32_t>(pages.size()));
  for (const Bitmap& b : pages) {
    w.U32(static_cast<uint32_t>(b.width));
    w.U32(static_cast<uint32_t>(b.height));
    w.F64(b.x_dpi);
    w.F64(b.y_dpi);
    w.U32(static_cast<uint32_t>(b.pixels.size()));
    std::string packed((b.pixels.size() + 7) / 8, '\0');
    for (size_t i = 0; i < b.pixels.size(); ++i) {
      if (b.pixels[i]) packed[i / 8] = static_cast<char>(packed[i / 8] | (0x80 >> (i % 8)));
    }
    w.Raw(packed);
  }
  return w.Take();
}

Result<PdfRequest> DecodePdfRequest(std::string_view version, std::string_view bytes) {
  const size_t eol = bytes.find('\n');
  if (bytes.substr(0, kMagic.size()) != kMagic || eol == std::string_view::npos) {
    return InvalidArgument("not a request for lifeline-pdf");
  }
  const std::string_view theirs = bytes.substr(kMagic.size(), eol - kMagic.size());
  if (theirs != version) {
    return InvalidArgument("a request of version '" + std::string(theirs) + "' for lifeline-pdf of version " +
                           std::string(version));
  }
  Reader r(bytes.substr(eol + 1));
  const std::string_view kind = r.Bytes(1);
  PdfRequest req;
  if (kind == std::string_view(&kDocument, 1)) {
    Document doc;
    for (std::string* s : {&doc.title, &doc.subtitle, &doc.header, &doc.footer, &doc.lang, &doc.created}) *s = r.Str();
    doc.blocks.resize(r.Count(24));
    for (Block& b : doc.blocks) {
      const uint32_t k = r.U32();
      if (k > static_cast<uint32_t>(Block::Kind::kSignatures)) return InvalidArgument("a block of unknown kind");
      b.kind = static_cast<Block::Kind>(k);
      b.text = r.Str();
      b.table.header = r.Strs();
      b.table.rows.resize(r.Count(4));
      for (auto& row : b.table.rows) row = r.Strs();
      b.table.widths.resize(r.Count(8));
      for (double& width : b.table.widths) width = r.F64();
      b.signers = r.Strs();
      b.signed_text = r.Strs();
    }
    req.document = std::move(doc);
  } else if (kind == std::string_view(&kBitmaps, 1)) {
    req.bitmaps.resize(r.Count(28));
    for (Bitmap& b : req.bitmaps) {
      b.width = static_cast<int>(r.U32());
      b.height = static_cast<int>(r.U32());
      b.x_dpi = r.F64();
      b.y_dpi = r.F64();
      const uint32_t n = r.U32();
      const std::string_view packed = r.Bytes((static_cast<size_t>(n) + 7) / 8);
      if (!r.ok()) break;
      b.pixels.resize(n);
      for (size_t i = 0; i < n; ++i) b.pixels[i] = (static_cast<unsigned char>(packed[i / 8]) >> (7 - i % 8)) & 1;
    }
  } else {
    return InvalidArgument("a request of unknown kind");
  }
  if (!r.done()) return InvalidArgument("a request cut short or with bytes after its end");
  return req;
}

std::string EncodePdfAnswer(const Result<std::string>& pdf) {
  Writer w;
  if (pdf.ok()) {
    w.Raw(std::string_view(&kPdf, 1));
    w.Raw(*pdf);
  } else {
    w.Raw(std::string_view(&kRefused, 1));
    w.U32(static_cast<uint32_t>(pdf.status().code()));
    w.Raw(pdf.status().message());
  }
  return w.Take();
}

Result<std::string> DecodePdfAnswer(std::string_view bytes) {
  if (!bytes.empty() && bytes[0] == kPdf) return std::string(bytes.substr(1));
  if (!bytes.empty() && bytes[0] == kRefused) {
    Reader r(bytes.substr(1, 4));
    const uint32_t code = r.U32();
    if (r.ok() && code > 0 && code <= static_cast<uint32_t>(StatusCode::kInternal)) {
      return Status(static_cast<StatusCode>(code), std::string(bytes.substr(5)));
    }
  }
  return Internal("lifeline-pdf gave no answer (" + std::to_string(bytes.size()) + " bytes)");
}

}  // namespace lifeline::print
