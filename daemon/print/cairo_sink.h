// cairo's write callback for a PDF made in memory (cairo_pdf_surface_create_for_stream):
// each chunk appended to the std::string passed as the closure. Internal to daemon/print.
#pragma once

#include <cairo.h>

#include <string>

namespace lifeline::print {

inline cairo_status_t AppendToString(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

}  // namespace lifeline::print
