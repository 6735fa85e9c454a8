#include "store/series_codec.h"

#include <cmath>
#include <cstring>

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

Status DecodeChunk(EpochMs start_ts, std::string_view data, std::vector<SeriesPoint>& out) {
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
