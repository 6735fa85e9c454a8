#pragma once

#include <vector>

#include "decode/registry.h"
#include "store/store.h"

namespace telecollect::push {

// Re-runs the current decoders over journaled frames, so that data sent
// before a decoder existed (or while it was wrong) becomes measurements.
// Idempotent: measurements upsert on (module, ts) and frame statuses are
// overwritten with the new outcome.
struct RedecodeFilter {
  std::vector<Scope> scopes;  // empty = every scope in the store
  std::vector<DecodeStatus> statuses = {DecodeStatus::kNoDecoder, DecodeStatus::kFailed};
  std::optional<std::string> device_type;  // normalised
  std::optional<std::string> device_id;
  std::optional<EpochMs> from, to;
  bool dry_run = false;
  // Only frames a push deferred (pending, reason "deferred: …"): the background decoder's pass.
  bool deferred_only = false;
};

struct RedecodeReport {
  size_t scanned = 0;
  size_t decoded = 0;
  size_t pending = 0;
  // Of `pending`, the frames deferred once more (no script worker free:
  // "deferred: …"): the background decoder tries them again.
  size_t deferred = 0;
  size_t failed = 0;
  size_t measurements = 0;
};

Result<RedecodeReport> Redecode(store::Store& store, const decode::DecoderRegistry& registry,
                                const RedecodeFilter& filter);

}  // namespace telecollect::push
