#include "files/file_import.h"

#include <optional>

#include "files/file_parser.h"
#include "files/input_file.h"
#include "files/pipelined_writer.h"
#include "files/profile_map.h"

namespace telecollect::files {
namespace {

// Passes readings on, remembering whether the store failed (versus the file).
class WatchedSink final : public ReadingSink {
 public:
  explicit WatchedSink(ReadingWriter& inner) : inner_(inner) {}
  Status Add(const std::vector<ModuleDef>& modules, std::span<const Reading> readings) override {
    Status s = inner_.Add(modules, readings);
    if (!s.ok()) store_failure = s;
    return s;
  }
  Status store_failure;

 private:
  ReadingWriter& inner_;
};

// Reports and errors name the file as the partner knows it, never the spool copy.
void NameFileAsListed(ImportReport& report, const std::string& local_path, const std::string& listed_path) {
  report.file = listed_path;
  if (local_path == listed_path) return;
  for (auto& e : report.errors) {
    for (size_t at = e.message.find(local_path); at != std::string::npos; at = e.message.find(local_path, at)) {
      e.message.replace(at, local_path.size(), listed_path);
      at += listed_path.size();
    }
  }
}

}  // namespace

Result<std::string> HashFileHex(const std::string& local_path) {
  TC_ASSIGN_OR_RETURN(std::unique_ptr<InputFile> file, InputFile::Open(local_path, /*hash=*/true));
  TC_ASSIGN_OR_RETURN(Sha256 digest, file->Finish());
  return Sha256Hex(digest);
}

const char* OutcomeName(ImportOutcome::Kind k) {
  switch (k) {
    case ImportOutcome::Kind::kImported: return "imported";
    case ImportOutcome::Kind::kDuplicate: return "duplicate";
    case ImportOutcome::Kind::kRejected: return "rejected";
  }
  return "?";
}

Result<ImportOutcome> ImportFile(store::Store& store, const Scope& scope, const Profile& given,
                                 const std::string& local_path, const FileListing& listing, EpochMs now,
                                 store::Durability durability, const std::optional<store::Fence>& fence) {
  // A named measurement map is the one active now for the scope.
  std::optional<Profile> with_map;
  if (!given.map_name.empty() && !given.map) {
    with_map = given;
    TC_RETURN_IF_ERROR(ResolveProfileMap(store, scope, *with_map));
  }
  const Profile& profile = with_map ? *with_map : given;
  ImportOutcome out;
  store::FileRecord record;
  record.scope = scope;
  record.connector = listing.connector;
  record.path = listing.path;
  record.size = listing.size;
  record.mtime_ms = listing.mtime_ms;
  record.at = now;
  bool rejected = false;
  Result<store::FileImport> done = store.ImportFile(scope, [&](ReadingWriter& writer) -> Result<store::FileRecord> {
    // The store writes a chunk while the next one is parsed.
    PipelinedWriter pipelined(writer);
    WatchedSink sink(pipelined);
    Status file_error;
    record.sha256 = ReadFileInto(local_path, profile, sink, out.report, file_error, /*hash=*/true);
    NameFileAsListed(out.report, local_path, listing.path);
    const Status written = pipelined.Close();
    if (!sink.store_failure.ok()) return sink.store_failure;
    if (!written.ok()) return written;
    record.rows = out.report.rows;
    record.readings = out.report.readings;
    record.errors = out.report.error_count;
    record.report_json = out.report.ToJson();
    if (!file_error.ok() || (out.report.error_count > 0 && !profile.skip_bad_rows)) {
      rejected = true;
      return Status::InvalidArgument("rejected");  // rolls the readings back
    }
    record.status = "imported";
    return record;
  }, durability, fence);
  if (rejected) {
    record.status = "rejected";
    record.readings = 0;
    TC_RETURN_IF_ERROR(store.RecordFile(record, fence));
    out.kind = ImportOutcome::Kind::kRejected;
    out.record = out.journaled = record;
    return out;
  }
  if (!done.ok()) return done.status();
  out.kind = done->duplicate ? ImportOutcome::Kind::kDuplicate : ImportOutcome::Kind::kImported;
  out.record = done->record;
  out.journaled = done->record;
  if (done->duplicate) {
    // In the journal too: what was received, and that nothing of it was written.
    record.status = "duplicate";
    record.readings = 0;
    TC_RETURN_IF_ERROR(store.RecordFile(record, fence));
    out.journaled = record;
  }
  return out;
}

}  // namespace telecollect::files
