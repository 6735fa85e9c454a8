// Points made of the input go through the chunk codec (series_codec.h,
// EncodeChunk then DecodeChunk) and come back exactly: every ts, every
// quality, every value bit for bit (NaN payloads, -0, infinities, huge
// values), whatever the steps (irregular, repeated instants, huge jumps) and
// whether the values fit a decimal scale or not.
//
// Input: records of 11 bytes: a step (2 bytes, its high bit making it a jump of
// up to 2^40 ms), a kind byte, 8 value bytes. The kind's low 2 bits choose the
// value: its raw 64 bits; a decimal (a 40-bit integer over 10^(kind>>2 & 15));
// the previous value plus a small decimal change (a meter index); or the
// previous value again. Its high bit sets a quality.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "store/series_codec.h"

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace telecollect::store;
  std::vector<SeriesPoint> points;
  int64_t ts = -86400000;  // before 1970 too
  double prev = 0;
  for (size_t at = 0; at + 11 <= size && points.size() < 4 * kChunkCapacity; at += 11) {
    const uint8_t* r = data + at;
    uint16_t step;
    std::memcpy(&step, r, 2);
    const uint8_t kind = r[2];
    uint64_t bits;
    std::memcpy(&bits, r + 3, 8);
    if (step & 0x8000) ts += static_cast<int64_t>(step & 0x7fff) << 25;
    else ts += step;
    SeriesPoint p;
    p.ts = ts;
    switch (kind & 3) {
      case 0: std::memcpy(&p.value, &bits, 8); break;
      case 1: {
        const int64_t x = static_cast<int64_t>(bits << 24) >> 24;
        p.value = static_cast<double>(x) / std::pow(10.0, (kind >> 2) & 15);
        break;
      }
      case 2: p.value = prev + static_cast<double>(bits & 0xffff) / 1000; break;
      default: p.value = prev; break;
    }
    prev = p.value;
    p.quality = kind & 0x80 ? static_cast<int>(static_cast<int32_t>(bits)) : 0;
    points.push_back(p);
  }
  if (points.empty()) return 0;
  const std::string blob = EncodeChunk(points.front().ts, points);
  std::vector<SeriesPoint> back;
  Check(DecodeChunk(points.front().ts, blob, back).ok());
  Check(back.size() == points.size());
  for (size_t i = 0; i < points.size(); ++i) {
    Check(back[i].ts == points[i].ts);
    Check(back[i].quality == points[i].quality);
    Check(std::memcmp(&back[i].value, &points[i].value, 8) == 0);
  }
  // Cut short anywhere: an error, never a crash nor a wrong point count.
  for (size_t cut : {size_t{1}, blob.size() / 2, blob.size() - 1}) {
    if (cut >= blob.size()) continue;
    std::vector<SeriesPoint> part;
    const telecollect::Status s = DecodeChunk(points.front().ts, std::string_view(blob).substr(0, cut), part);
    Check(!s.ok() && !s.message().empty());
  }
  return 0;
}
