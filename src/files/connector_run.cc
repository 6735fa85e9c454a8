#include "files/connector_run.h"

#include <filesystem>

#include <fmt/format.h>

#include "files/file_import.h"

namespace telecollect::files {
namespace {

namespace fs = std::filesystem;

// archive/20261126T101500Z-export.csv: files of one name arrive every day.
std::string StampedName(const RemoteFile& f, EpochMs now) {
  std::string stamp = FormatIso8601(now);  // 2026-11-26T10:15:00.000Z
  std::string compact;
  for (char c : stamp.substr(0, 19)) {
    if (c != '-' && c != ':') compact += c;
  }
  return compact + "Z-" + fs::path(f.path).filename().string();
}

class Run {
 public:
  Run(store::Store& store, const Connector& c, const Clock& clock, const RunOptions& o)
      : store_(store), c_(c), clock_(clock), o_(o) {}

  store::RunRecord Go() {
    run_.connector = c_.name;
    run_.started = clock_.NowMs();
    run_.status = "running";
    Result<int64_t> id = store_.StartRun(run_);
    if (id.ok()) run_.id = *id;
    Status s = id.ok() ? Body() : id.status();
    if (!s.ok() && first_failure_.empty()) first_failure_ = s.message();
    run_.finished = clock_.NowMs();
    run_.status = first_failure_.empty() ? "ok" : "failed";
    run_.message = first_failure_;
    if (run_.id != 0) (void)store_.FinishRun(run_);
    return run_;
  }

 private:
  void Say(const std::string& line) {
    if (o_.on_file) o_.on_file(line);
  }
  void Failed(const std::string& what) {
    if (first_failure_.empty()) first_failure_ = what;
    Say("failed: " + what);
  }

  Status Body() {
    TC_ASSIGN_OR_RETURN(std::unique_ptr<Transport> t, MakeTransport(c_.source));
    transport_ = std::move(t);
    if (!c_.source.is_local()) SweepDeadFetches(o_.spool_dir);
    TC_ASSIGN_OR_RETURN(std::vector<RemoteFile> files, transport_->List());
    // Files seen waiting in earlier listings and gone since (removed by the
    // partner before they were stable): their sightings go.
    std::vector<std::string> listed;
    listed.reserve(files.size());
    for (const RemoteFile& f : files) listed.push_back(f.path);
    TC_RETURN_IF_ERROR(Stored(store_.ForgetSightingsExcept(c_.name, listed)));
    for (const RemoteFile& f : files) {
      Status s = One(f);
      if (!s.ok()) {
        // Storage trouble stops the run (the next run retries everything);
        // a file's transfer trouble only that file.
        if (store_failed_) return s;
        Failed(s.message());
      }
    }
    return Status::Ok();
  }

  // After a committed import (or one found in the journal): delete, archive or leave.
  Status Dispose(const RemoteFile& f) {
    switch (c_.source.after_import) {
      case SourceOptions::After::kDelete: return transport_->Remove(f);
      case SourceOptions::After::kArchive: return transport_->Move(f, c_.source.archive_dir, StampedName(f, clock_.NowMs()));
      case SourceOptions::After::kLeave: return Status::Ok();
    }
    return Status::Ok();
  }

  Status Quarantine(const RemoteFile& f, const std::string& report_text) {
    if (!c_.source.quarantine) return Status::Ok();
    const std::string name = StampedName(f, clock_.NowMs());
    TC_RETURN_IF_ERROR(transport_->Move(f, c_.source.quarantine_dir, name));
    return transport_->Put(c_.source.quarantine_dir, name + ".report.txt", report_text);
  }

  // Marks a store failure, which stops the run.
  template <typename T>
  Result<T> Stored(Result<T> r) {
    if (!r.ok()) store_failed_ = true;
    return r;
  }
  Status Stored(Status s) {
    if (!s.ok()) store_failed_ = true;
    return s;
  }

  Status One(const RemoteFile& f) {
    // Already journaled under this listing identity: only finish what was left.
    TC_ASSIGN_OR_RETURN(std::optional<store::FileRecord> known, Stored(store_.FindFile(c_.name, f.path, f.size, f.mtime_ms)));
    if (known) {
      ++run_.files_skipped;
      if (known->status == "imported" && c_.source.after_import != SourceOptions::After::kLeave) {
        Say(fmt::format("{}: already imported ({}), finishing its {}", f.path, FormatIso8601(known->at),
                        c_.source.after_import == SourceOptions::After::kDelete ? "delete" : "archive"));
        return Dispose(f);
      }
      if (known->status == "rejected" && c_.source.quarantine) {
        Say(fmt::format("{}: rejected before, moving it to quarantine", f.path));
        return Quarantine(f, "rejected: see `telecollect files` and the report journaled with it\n");
      }
      return Status::Ok();
    }
    // Half-uploaded files: take a file only once unchanged for stable_for.
    const EpochMs now = clock_.NowMs();
    TC_ASSIGN_OR_RETURN(EpochMs first_seen, Stored(store_.NoteSighting(c_.name, f.path, f.size, f.mtime_ms, now)));
    if (now - first_seen < c_.source.stable_for_ms) {
      ++run_.files_waiting;
      Say(fmt::format("{}: not stable yet ({} bytes, seen {} s ago, waits {} s)", f.path, f.size, (now - first_seen) / 1000,
                      c_.source.stable_for_ms / 1000));
      return Status::Ok();
    }
    TC_ASSIGN_OR_RETURN(std::string local, transport_->Fetch(f, o_.spool_dir));
    struct Cleanup {
      bool remote;
      std::string path;
      ~Cleanup() {
        std::error_code ec;
        if (remote) fs::remove(path, ec);
      }
    } cleanup{!c_.source.is_local(), local};
    FileListing listing{c_.name, f.path, f.size, f.mtime_ms};
    TC_ASSIGN_OR_RETURN(ImportOutcome out, Stored(ImportFile(store_, c_.scope, c_.profile, local, listing, clock_.NowMs())));
    (void)store_.ForgetSighting(c_.name, f.path);
    run_.rows += out.report.rows;
    run_.row_errors += out.report.error_count;
    switch (out.kind) {
      case ImportOutcome::Kind::kImported:
        ++run_.files_imported;
        run_.readings += out.record.readings;
        Say(fmt::format("{}: imported, {} readings ({} rows skipped)", f.path, out.record.readings, out.report.rows_rejected));
        return Dispose(f);
      case ImportOutcome::Kind::kDuplicate:
        ++run_.files_skipped;
        Say(fmt::format("{}: same content as {} (imported {}): nothing written", f.path, out.record.path,
                        FormatIso8601(out.record.at)));
        return Dispose(f);
      case ImportOutcome::Kind::kRejected:
        ++run_.files_rejected;
        Say(fmt::format("{}: rejected, {} errors (first: line {}: {})", f.path, out.report.error_count,
                        out.report.errors.empty() ? 0 : out.report.errors[0].line,
                        out.report.errors.empty() ? "" : out.report.errors[0].message));
        if (first_failure_.empty()) first_failure_ = f.path + " rejected: " + (out.report.errors.empty() ? "" : out.report.errors[0].message);
        return Quarantine(f, out.report.ToText());
    }
    return Status::Ok();
  }

  store::Store& store_;
  const Connector& c_;
  const Clock& clock_;
  const RunOptions& o_;
  std::unique_ptr<Transport> transport_;
  store::RunRecord run_;
  std::string first_failure_;
  bool store_failed_ = false;
};

}  // namespace

store::RunRecord RunConnector(store::Store& store, const Connector& connector, const Clock& clock,
                              const RunOptions& options) {
  return Run(store, connector, clock, options).Go();
}

}  // namespace telecollect::files
