// A measurement chunk (format 1 or 2) and a point log row as read back from
// the database (series_codec.h): decoding never crashes, and whatever decodes
// re-encodes (format 2) to the same points, bit for bit.
#include <cstdint>
#include <cstring>
#include <string_view>

#include "store/series_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace telecollect::store;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<LogEntry> entries;
  const telecollect::Status ls = DecodeLog(in, entries);
  if (!ls.ok() && ls.message().empty()) __builtin_trap();
  if (ls.ok()) {
    std::string again;
    for (const LogEntry& e : entries) AppendLogEntry(again, e.module_id, e.point);
    std::vector<LogEntry> back;
    if (!DecodeLog(again, back).ok() || back.size() != entries.size()) __builtin_trap();
    for (size_t i = 0; i < entries.size(); ++i) {
      if (back[i].module_id != entries[i].module_id || back[i].point.ts != entries[i].point.ts ||
          back[i].point.quality != entries[i].point.quality ||
          std::memcmp(&back[i].point.value, &entries[i].point.value, 8) != 0) {
        __builtin_trap();
      }
    }
  }
  std::vector<SeriesPoint> points;
  const telecollect::Status s = DecodeChunk(1700000000000, in, points);
  if (!s.ok()) {
    if (s.message().empty()) __builtin_trap();
    return 0;
  }
  if (points.empty()) return 0;
  for (size_t i = 1; i < points.size(); ++i) {
    if (points[i].ts < points[i - 1].ts) __builtin_trap();  // never backwards
  }
  const std::string again = EncodeChunk(1700000000000, points);
  std::vector<SeriesPoint> back;
  if (!DecodeChunk(1700000000000, again, back).ok() || back.size() != points.size()) __builtin_trap();
  for (size_t i = 0; i < points.size(); ++i) {
    if (back[i].ts != points[i].ts || back[i].quality != points[i].quality ||
        std::memcmp(&back[i].value, &points[i].value, 8) != 0) {
      __builtin_trap();
    }
  }
  return 0;
}
