#include "store/series_codec.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <vector>

namespace telecollect::store {
namespace {

inline void PutVarint(std::string& out, uint64_t v) {
  char buf[10];
  size_t n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out.append(buf, n);
}

inline bool GetVarint(const unsigned char*& p, const unsigned char* end, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64 && p < end; shift += 7) {
    const unsigned char b = *p++;
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

inline uint64_t ZigZag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
inline int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

constexpr double kMaxExactInteger = 9007199254740992.0;  // 2^53

// An exact integer that survives the round trip through int64 (not -0, not NaN).
inline bool Integral(double v) {
  return std::fabs(v) < kMaxExactInteger && v == std::trunc(v) && !(v == 0 && std::signbit(v));
}

}  // namespace

namespace {
void AppendValue(std::string& data, const SeriesPoint& p) {
  const bool integral = Integral(p.value);
  PutVarint(data, ZigZag(p.quality) << 1 | (integral ? 1u : 0u));
  if (integral) {
    PutVarint(data, ZigZag(static_cast<int64_t>(p.value)));
  } else {
    char raw[8];
    std::memcpy(raw, &p.value, 8);  // x86-64 and aarch64 are little-endian
    data.append(raw, 8);
  }
}

// Reads flags and value into `point`; false if cut short.
bool GetValue(const unsigned char*& p, const unsigned char* end, SeriesPoint& point) {
  uint64_t flags = 0;
  if (!GetVarint(p, end, flags)) return false;
  point.quality = static_cast<int>(UnZigZag(flags >> 1));
  if (flags & 1) {
    uint64_t v = 0;
    if (!GetVarint(p, end, v)) return false;
    point.value = static_cast<double>(UnZigZag(v));
    return true;
  }
  if (end - p < 8) return false;
  std::memcpy(&point.value, p, 8);
  p += 8;
  return true;
}
}  // namespace

void AppendPoint(std::string& data, EpochMs prev_ts, const SeriesPoint& p) {
  PutVarint(data, static_cast<uint64_t>(p.ts - prev_ts));
  AppendValue(data, p);
}

void AppendLogEntry(std::string& data, int64_t module_id, const SeriesPoint& p) {
  PutVarint(data, static_cast<uint64_t>(module_id));
  PutVarint(data, ZigZag(p.ts));
  AppendValue(data, p);
}

Status DecodeLog(std::string_view data, std::vector<LogEntry>& out) {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  const auto* end = p + data.size();
  while (p < end) {
    uint64_t module = 0, ts = 0;
    LogEntry e;
    if (!GetVarint(p, end, module) || !GetVarint(p, end, ts) || module > (uint64_t{1} << 62) || !GetValue(p, end, e.point)) {
      return Status::IoError("corrupt point log entry");
    }
    e.module_id = static_cast<int64_t>(module);
    e.point.ts = UnZigZag(ts);
    out.push_back(e);
  }
  return Status::Ok();
}


// ---- packed chunks (format 2) ------------------------------------------------------

namespace {

constexpr unsigned char kPackedFormat = 2;
constexpr int kMaxScale = 9;  // values with up to 9 decimals are scaled to integers
constexpr double kPow10[kMaxScale + 1] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
constexpr unsigned char kRising = 0x40;    // value mode kRising | k: scale k, no change below 0, stored as is
constexpr unsigned char kXorValues = 0x80;
constexpr unsigned char kSparse = 0x80;    // packed-width byte kSparse | w: only the values that are not 0
constexpr uint64_t kMaxChunkPoints = uint64_t{1} << 16;  // what a decoder accepts (chunks hold kChunkCapacity)

int BitWidth(uint64_t max) { return max == 0 ? 0 : 64 - __builtin_clzll(max); }

// `values` at `width` bits each, least significant bit first, into bytes.
template <typename Range>
void PackBits(std::string& out, const Range& values, int width) {
  unsigned __int128 acc = 0;
  int n = 0;
  for (uint64_t v : values) {
    acc |= static_cast<unsigned __int128>(v) << n;
    n += width;
    while (n >= 8) {
      out.push_back(static_cast<char>(static_cast<unsigned char>(acc)));
      acc >>= 8;
      n -= 8;
    }
  }
  if (n > 0) out.push_back(static_cast<char>(static_cast<unsigned char>(acc)));
}

// `count` values of `width` bits each from p (whose length the caller checked) into out.
void UnpackBits(const unsigned char*& p, uint64_t count, int width, uint64_t* out) {
  const uint64_t mask = width == 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
  unsigned __int128 acc = 0;
  int n = 0;
  for (uint64_t i = 0; i < count; ++i) {
    while (n < width) {
      acc |= static_cast<unsigned __int128>(*p++) << n;
      n += 8;
    }
    out[i] = static_cast<uint64_t>(acc) & mask;
    acc >>= width;
    n -= width;
  }
}

// The values at the width the largest needs: dense (every value), or sparse (a bitmap of
// the values that are not 0, then those alone) when that is shorter.
void PutPacked(std::string& out, const std::vector<uint64_t>& values) {
  uint64_t max = 0;
  uint64_t nonzero = 0;
  for (uint64_t v : values) {
    max |= v;
    nonzero += v != 0;
  }
  const int width = BitWidth(max);
  const uint64_t count = values.size();
  const uint64_t dense = (count * static_cast<uint64_t>(width) + 7) / 8;
  const uint64_t sparse = (count + 7) / 8 + (nonzero * static_cast<uint64_t>(width) + 7) / 8;
  if (width == 0 || dense <= sparse) {
    out.push_back(static_cast<char>(width));
    if (width > 0) PackBits(out, values, width);
    return;
  }
  out.push_back(static_cast<char>(kSparse | width));
  const size_t bitmap = out.size();
  out.append((count + 7) / 8, '\0');
  for (uint64_t i = 0; i < count; ++i) {
    if (values[i] != 0) out[bitmap + i / 8] = static_cast<char>(out[bitmap + i / 8] | (1 << (i % 8)));
  }
  std::vector<uint64_t> set;
  set.reserve(nonzero);
  for (uint64_t v : values) {
    if (v != 0) set.push_back(v);
  }
  PackBits(out, set, width);
}

// Reads `count` packed values (dense or sparse); false if cut short or malformed.
bool GetPacked(const unsigned char*& p, const unsigned char* end, uint64_t count, std::vector<uint64_t>& out) {
  if (p >= end) return false;
  const unsigned char head = *p++;
  out.assign(count, 0);
  if (!(head & kSparse)) {
    const int width = head;
    if (width > 64) return false;
    if (width == 0) return true;
    const uint64_t bytes = (count * static_cast<uint64_t>(width) + 7) / 8;
    if (static_cast<uint64_t>(end - p) < bytes) return false;
    UnpackBits(p, count, width, out.data());
    return true;
  }
  const int width = head & ~kSparse;
  if (width == 0 || width > 64) return false;
  const uint64_t bitmap_bytes = (count + 7) / 8;
  if (static_cast<uint64_t>(end - p) < bitmap_bytes) return false;
  const unsigned char* bitmap = p;
  p += bitmap_bytes;
  uint64_t nonzero = 0;
  for (uint64_t b = 0; b < bitmap_bytes; ++b) nonzero += static_cast<uint64_t>(__builtin_popcount(bitmap[b]));
  if (count % 8 != 0 && (bitmap[bitmap_bytes - 1] >> (count % 8)) != 0) return false;  // bits past the end
  const uint64_t bytes = (nonzero * static_cast<uint64_t>(width) + 7) / 8;
  if (static_cast<uint64_t>(end - p) < bytes) return false;
  std::vector<uint64_t> set(nonzero);
  UnpackBits(p, nonzero, width, set.data());
  uint64_t next = 0;
  for (uint64_t i = 0; i < count; ++i) {
    if ((bitmap[i / 8] >> (i % 8)) & 1) {
      if (set[next] == 0) return false;  // a value marked as not 0
      out[i] = set[next++];
    }
  }
  return true;
}

// The smallest scale k such that every value is an integer x with x / 10^k
// giving back the same double (finite, not -0, |x| < 2^53); -1 if none.
int DecimalScale(std::span<const SeriesPoint> points, std::vector<int64_t>& scaled) {
  int k = 0;
  scaled.resize(points.size());
  for (size_t i = 0; i < points.size(); ++i) {
    const double v = points[i].value;
    if (!std::isfinite(v) || (v == 0 && std::signbit(v))) return -1;
    while (true) {
      const double x = v * kPow10[k];
      if (std::fabs(x) < kMaxExactInteger) {
        const double r = std::nearbyint(x);
        if (r / kPow10[k] == v) {
          scaled[i] = static_cast<int64_t>(r);
          break;
        }
      }
      if (++k > kMaxScale) return -1;
      i = static_cast<size_t>(-1);  // a finer scale: every value again
      break;
    }
  }
  return k;
}

}  // namespace

std::string EncodeChunk(EpochMs start_ts, std::span<const SeriesPoint> points) {
  std::string out;
  out.reserve(16 + points.size() * 2);
  out.push_back(static_cast<char>(kPackedFormat));
  PutVarint(out, points.size());
  if (points.empty()) return out;
  const size_t n = points.size();
  // Times: the first as an offset from start_ts, the first step, then each step's change.
  PutVarint(out, ZigZag(points[0].ts - start_ts));
  std::vector<uint64_t> packed;
  if (n >= 2) {
    int64_t step = points[1].ts - points[0].ts;
    PutVarint(out, ZigZag(step));
    packed.clear();
    for (size_t i = 2; i < n; ++i) {
      const int64_t next = points[i].ts - points[i - 1].ts;
      packed.push_back(ZigZag(next - step));
      step = next;
    }
    if (n >= 3) PutPacked(out, packed);
  }
  // Values: integers at a decimal scale, each as its change from the previous;
  // otherwise each double's bits XOR the previous one's, without their zero bytes.
  std::vector<int64_t> scaled;
  const int k = DecimalScale(points, scaled);
  if (k >= 0) {
    // A value that never goes down (a meter index) keeps its changes without the zigzag bit.
    const bool rising = std::is_sorted(scaled.begin(), scaled.end());
    out.push_back(static_cast<char>(rising ? (kRising | k) : k));
    PutVarint(out, ZigZag(scaled[0]));
    packed.clear();
    for (size_t i = 1; i < n; ++i) {
      const int64_t change = scaled[i] - scaled[i - 1];
      packed.push_back(rising ? static_cast<uint64_t>(change) : ZigZag(change));
    }
    if (n >= 2) PutPacked(out, packed);
  } else {
    out.push_back(static_cast<char>(kXorValues));
    uint64_t prev = 0;
    for (const SeriesPoint& p : points) {
      uint64_t bits;
      std::memcpy(&bits, &p.value, 8);
      const uint64_t x = bits ^ prev;
      prev = bits;
      const int lead = x == 0 ? 8 : __builtin_clzll(x) / 8;
      const int trail = x == 0 ? 0 : __builtin_ctzll(x) / 8;
      const int sig = 8 - lead - trail;
      out.push_back(static_cast<char>(lead << 4 | sig));
      for (int b = 0; b < sig; ++b) out.push_back(static_cast<char>(x >> (8 * (trail + b))));
    }
  }
  // Qualities: none (all 0), or packed.
  const bool qualities = std::any_of(points.begin(), points.end(), [](const SeriesPoint& p) { return p.quality != 0; });
  out.push_back(static_cast<char>(qualities ? 1 : 0));
  if (qualities) {
    packed.clear();
    for (const SeriesPoint& p : points) packed.push_back(ZigZag(p.quality));
    PutPacked(out, packed);
  }
  return out;
}

namespace {

Status Corrupt(EpochMs start_ts, const char* why) {
  return Status::IoError("corrupt measurement chunk at ts " + std::to_string(start_ts) + ": " + why);
}

Status DecodePacked(EpochMs start_ts, std::string_view data, std::vector<SeriesPoint>& out) {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data()) + 1;
  const auto* end = reinterpret_cast<const unsigned char*>(data.data()) + data.size();
  uint64_t n = 0;
  if (!GetVarint(p, end, n) || n > kMaxChunkPoints) {
    return Corrupt(start_ts, "bad point count");
  }
  if (n == 0) return p == end ? Status::Ok() : Corrupt(start_ts, "bytes after the end");
  const size_t base = out.size();
  out.resize(base + n);
  SeriesPoint* pts = out.data() + base;
  auto fail = [&](const char* why) {
    out.resize(base);
    return Corrupt(start_ts, why);
  };
  uint64_t v = 0;
  if (!GetVarint(p, end, v)) return fail("cut short");
  EpochMs ts = 0;
  if (__builtin_add_overflow(start_ts, UnZigZag(v), &ts)) return fail("bad time");
  pts[0].ts = ts;
  std::vector<uint64_t> packed;
  if (n >= 2) {
    if (!GetVarint(p, end, v)) return fail("cut short");
    int64_t step = UnZigZag(v);
    if (n >= 3 && !GetPacked(p, end, n - 2, packed)) return fail("cut short");
    for (uint64_t i = 1; i < n; ++i) {
      if (i >= 2 && __builtin_add_overflow(step, UnZigZag(packed[i - 2]), &step)) return fail("bad time");
      if (step < 0 || __builtin_add_overflow(ts, step, &ts)) return fail("time going backwards");
      pts[i].ts = ts;
    }
  }
  if (p >= end) return fail("cut short");
  const unsigned char mode = *p++;
  const bool rising = (mode & ~kRising) <= kMaxScale && (mode & kRising);
  if (mode <= kMaxScale || rising) {
    const double scale = kPow10[mode & ~kRising];
    if (!GetVarint(p, end, v)) return fail("cut short");
    int64_t x = UnZigZag(v);
    if (n >= 2 && !GetPacked(p, end, n - 1, packed)) return fail("cut short");
    for (uint64_t i = 0; i < n; ++i) {
      if (i > 0) {
        if (rising && packed[i - 1] > uint64_t{1} << 54) return fail("bad value");  // |x| < 2^53 both sides
        const int64_t change = rising ? static_cast<int64_t>(packed[i - 1]) : UnZigZag(packed[i - 1]);
        if (__builtin_add_overflow(x, change, &x)) return fail("bad value");
      }
      if (x >= int64_t{1} << 53 || x <= -(int64_t{1} << 53)) return fail("bad value");
      pts[i].value = static_cast<double>(x) / scale;
    }
  } else if (mode == kXorValues) {
    uint64_t prev = 0;
    for (uint64_t i = 0; i < n; ++i) {
      if (p >= end) return fail("cut short");
      const int lead = *p >> 4, sig = *p & 15;
      ++p;
      if (lead + sig > 8 || (sig == 0 && lead != 8) || end - p < sig) return fail("bad value");
      const int trail = 8 - lead - sig;
      uint64_t x = 0;
      for (int b = 0; b < sig; ++b) x |= static_cast<uint64_t>(*p++) << (8 * (trail + b));
      prev ^= x;
      std::memcpy(&pts[i].value, &prev, 8);
    }
  } else {
    return fail("unknown value encoding");
  }
  if (p >= end) return fail("cut short");
  const unsigned char qualities = *p++;
  if (qualities == 1) {
    if (!GetPacked(p, end, n, packed)) return fail("cut short");
    for (uint64_t i = 0; i < n; ++i) {
      const int64_t q = UnZigZag(packed[i]);
      if (q < INT32_MIN || q > INT32_MAX) return fail("bad quality");
      pts[i].quality = static_cast<int>(q);
    }
  } else if (qualities != 0) {
    return fail("bad quality encoding");
  }
  if (p != end) return fail("bytes after the end");
  return Status::Ok();
}

}  // namespace

Status DecodeChunk(EpochMs start_ts, std::string_view data, std::vector<SeriesPoint>& out) {
  // Format 1 begins with its first point's ts delta, always 0; format 2 with its number.
  if (!data.empty() && static_cast<unsigned char>(data[0]) == kPackedFormat) return DecodePacked(start_ts, data, out);
  if (!data.empty() && data[0] != 0) return Corrupt(start_ts, "unknown chunk format");
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  const auto* end = p + data.size();
  EpochMs ts = start_ts;
  while (p < end) {
    uint64_t delta = 0;
    if (!GetVarint(p, end, delta) || delta > (uint64_t{1} << 62) ||
        __builtin_add_overflow(ts, static_cast<EpochMs>(delta), &ts)) {
      return Status::IoError("corrupt measurement chunk at ts " + std::to_string(ts) + ": bad point header");
    }
    SeriesPoint point;
    point.ts = ts;
    if (!GetValue(p, end, point)) return Status::IoError("corrupt measurement chunk at ts " + std::to_string(ts) + ": cut short");
    out.push_back(point);
  }
  return Status::Ok();
}

std::vector<SeriesPoint> MergePoints(std::span<const SeriesPoint> older, std::span<const SeriesPoint> newer) {
  std::vector<SeriesPoint> out;
  out.reserve(older.size() + newer.size());
  size_t i = 0, j = 0;
  while (i < older.size() && j < newer.size()) {
    if (older[i].ts < newer[j].ts) {
      out.push_back(older[i++]);
    } else {
      if (older[i].ts == newer[j].ts) ++i;  // replaced
      out.push_back(newer[j++]);
    }
  }
  out.insert(out.end(), older.begin() + static_cast<std::ptrdiff_t>(i), older.end());
  out.insert(out.end(), newer.begin() + static_cast<std::ptrdiff_t>(j), newer.end());
  return out;
}

}  // namespace telecollect::store
