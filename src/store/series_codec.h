#pragma once
// The measurement chunk format: a module's points, ts ascending and unique,
// packed into one blob per chunk (table `chunks`). One row holds up to
// kChunkCapacity points, so a write or a read touches one row per ~200 points
// instead of one per point.
//
// Format 2 (EncodeChunk; SQLite schema v12, PostgreSQL v4), columns of the
// chunk's points one after the other:
//   byte     2
//   varint   n, the number of points
//   times    zigzag varint of (first ts - start_ts); for n >= 2 the first step
//            (zigzag varint); for n >= 3 each later step's change from the one
//            before ("delta of delta"), packed (below): 0 bits each for a
//            regular series
//   values   a byte k: with k <= 9 every value is an integer x (|x| < 2^53) at
//            the decimal scale k, x / 10^k giving back the very double (a meter
//            index with 3 decimals: k = 3): zigzag varint of the first x, then
//            each change from the previous, zigzagged and packed; with
//            k = 0x40 | s, the same at scale s for values that never go down (a
//            meter index), the changes packed as they are, without the zigzag
//            bit; with k = 0x80 (NaN, infinities, -0, or more than 9 decimals)
//            each double's 64 bits XOR the previous double's (0 for the first),
//            as a byte (leading zero bytes << 4 | significant bytes) and its
//            significant bytes
//   quality  a byte 0 (every quality 0), or 1 and the zigzag qualities, packed
// Packed, dense: a byte w (0 to 64), then the values, w bits each, least
// significant bit first, the last byte padded with zeros. Sparse, when shorter
// (most values 0: a meter index that stands still, a step that rarely
// changes): a byte 0x80 | w (w 1 to 64), a bitmap of the values that are not 0
// (one bit each, least significant first, padded with zeros), then those
// values alone, packed as above. The encoder picks the shorter; values come
// back bit for bit. 10-minute readings of a meter index that changes one
// reading in three take about 0.7 bytes a point (1.6 dense and zigzagged).
// Binaries before the sparse form and the 0x40 mode report such chunks as
// corrupt.
//
// Format 1 (schema v6 to v11), still read: the points in ts order, each as
//   varint   ts - previous ts (the chunk's start_ts for the first point: 0)
//   varint   zigzag(quality) << 1 | integral
//   value    integral: zigzag varint of the value (an exact integer, |v| < 2^53)
//            otherwise: the IEEE-754 double, 8 bytes little-endian
// A format-1 blob starts with a 0 byte (its first delta), a format-2 one with 2.

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

// The chunk (format 2) of `points`, ts ascending, stored with `start_ts`
// (points.front().ts for every chunk the stores write).
std::string EncodeChunk(EpochMs start_ts, std::span<const SeriesPoint> points);

// Format 1: appends `p` to a chunk whose last point is at `prev_ts` (its
// start_ts for an empty chunk). p.ts must be >= prev_ts. Only tests and the
// migration's readers still meet it.
void AppendPoint(std::string& data, EpochMs prev_ts, const SeriesPoint& p);

// Appends the points of a chunk (format 1 or 2) starting at `start_ts` to
// `out`. kIoError when the blob is not a well-formed chunk (truncated, ts going
// backwards).
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
