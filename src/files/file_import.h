#pragma once

#include <string>

#include "core/model.h"
#include "files/file_parser.h"
#include "files/import_report.h"
#include "files/profile.h"
#include "store/store.h"

namespace telecollect::files {

// How a file was listed: the journal's identity for it.
struct FileListing {
  std::string connector;  // empty for a file imported by hand
  std::string path;       // as listed (remote path, or the local path)
  int64_t size = 0;
  int64_t mtime_ms = 0;
};

struct ImportOutcome {
  enum class Kind { kImported, kDuplicate, kRejected } kind = Kind::kImported;
  store::FileRecord record;  // as journaled (for a duplicate: the earlier import)
  store::FileRecord journaled;  // this file's own journal record (status imported, duplicate or rejected)
  ImportReport report;       // names the file by listing.path, not by the local (spool) path
};
const char* OutcomeName(ImportOutcome::Kind k);

// Imports one local file into `scope` in one transaction (all its readings
// and its journal record, or nothing). A file with row errors under
// on_row_error = "reject", or one that cannot be read, is journaled as
// rejected with its report, and nothing of it is stored. Content already
// imported in the scope is a duplicate: nothing written, and the file is
// journaled with status "duplicate". Non-ok only for
// storage failures (then nothing is journaled and the file must be retried).
// Durable on return, or (kAtNextSync) once the caller's next store.Sync() returns.
// With a `fence` (a connector run's lease), every commit is fenced: once the
// lease changed hands, LeaseLost (kAborted) and nothing stored or journaled.
Result<ImportOutcome> ImportFile(store::Store& store, const Scope& scope, const Profile& profile,
                                 const std::string& local_path, const FileListing& listing, EpochMs now,
                                 store::Durability durability = store::Durability::kOnReturn,
                                 const std::optional<store::Fence>& fence = std::nullopt);

// The SHA-256 (hex) of a local file's raw bytes, as the journal records it.
Result<std::string> HashFileHex(const std::string& local_path);

}  // namespace telecollect::files
