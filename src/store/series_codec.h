#pragma once
// The measurement chunk format: a module's points, ts ascending and unique,
// packed into one blob per chunk (schema v6, table `chunks`). One row holds up
// to kChunkCapacity points, so a write or a read touches one row per ~200
// points instead of one per point.
//
// Blob: the points in ts order, each as
//   varint   ts - previous ts (the chunk's start_ts for the first point: 0)
//   varint   zigzag(quality) << 1 | integral
//   value    integral: zigzag varint of the value (an exact integer, |v| < 2^53)
//            otherwise: the IEEE-754 double, 8 bytes little-endian
// A chunk of 10-minute readings takes about 12 bytes per point.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"
#include "core/status.h"

namespace telecollect::store {

struct SeriesPoint {
  EpochMs ts = 0;
  double value = 0;
  int quality = 0;
};

inline constexpr size_t kChunkCapacity = 200;

// Appends `p` to a chunk whose last point is at `prev_ts` (its start_ts for
// an empty chunk). p.ts must be >= prev_ts.
void AppendPoint(std::string& data, EpochMs prev_ts, const SeriesPoint& p);

// Appends the points of a chunk starting at `start_ts` to `out`. kIoError
// when the blob is not a well-formed chunk (truncated, ts going backwards).
Status DecodeChunk(EpochMs start_ts, std::string_view data, std::vector<SeriesPoint>& out);

// The point log (schema v7, table `point_log`): small writes spread over many
// modules (one frame per request) are appended as one row per transaction, a
// blob of entries, and merged into chunks later in bulk. Entry:
//   varint module id, zigzag varint ts, then flags and value as in a chunk.
struct LogEntry {
  int64_t module_id = 0;
  SeriesPoint point;
};
void AppendLogEntry(std::string& data, int64_t module_id, const SeriesPoint& p);
// kIoError when the blob is not a well-formed log row.
Status DecodeLog(std::string_view data, std::vector<LogEntry>& out);

// Merges `newer` into `older` (both ts-ascending, unique): the result is
// ts-ascending and unique, `newer` winning where both hold a ts.
std::vector<SeriesPoint> MergePoints(std::span<const SeriesPoint> older, std::span<const SeriesPoint> newer);

}  // namespace telecollect::store
