#include "files/connector_run.h"

#include <chrono>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "files/file_import.h"
#include "files/spool.h"

namespace telecollect::files {
namespace {

namespace fs = std::filesystem;

// archive/20261126T101500.123Z-export.csv: files of one name arrive every day,
// and a corrected version can follow its first within the same second (an SFTP
// rename never replaces a file already there), so the stamp has milliseconds.
std::string StampedName(const RemoteFile& f, EpochMs now) {
  std::string stamp = FormatIso8601(now);  // 2026-11-26T10:15:00.123Z
  std::string compact;
  for (char c : stamp.substr(0, 23)) {
    if (c != '-' && c != ':') compact += c;
  }
  return compact + "Z-" + fs::path(f.path).filename().string();
}

// A local copy to import from, removed when dealt with (a local inbox's file is read in place).
struct SpoolCopy {
  std::string path;
  bool remove = false;
  ~SpoolCopy() {
    std::error_code ec;
    if (remove) fs::remove(path, ec);
  }
};

class Run {
 public:
  Run(store::Store& store, const Connector& c, const Clock& clock, const RunOptions& o)
      : store_(store), c_(c), clock_(clock), o_(o) {}

  store::RunRecord Go() {
    run_.connector = c_.name;
    run_.started = clock_.NowMs();
    run_.status = "running";
    // The caller holds the connector's lease: a run still "running" was killed.
    Result<int64_t> closed = store_.CloseInterruptedRuns(c_.name, run_.started, o_.fence);
    if (closed.ok() && *closed > 0) Say(fmt::format("{} earlier run(s) had been interrupted: closed as such", *closed));
    const bool lost_at_start = store::IsLeaseLost(closed.status());
    if (!o_.spool_dir.empty()) {
      const int stale = RemoveStaleSpoolFiles(o_.spool_dir, c_.name);
      if (stale > 0) Say(fmt::format("removed {} download(s) left in the spool by an interrupted run", stale));
    }
    Result<int64_t> id = store_.StartRun(run_);
    if (id.ok()) run_.id = *id;
    Status s = !id.ok() ? id.status() : lost_at_start ? closed.status() : Body();
    if (!s.ok()) Failed(s.message(), /*say=*/false);
    const bool lease_lost = store::IsLeaseLost(s);
    transport_.reset();
    if (!o_.spool_dir.empty()) (void)RemoveStaleSpoolFiles(o_.spool_dir, c_.name);
    run_.finished = clock_.NowMs();
    run_.status = lease_lost ? "lease_lost" : failed_ ? "failed" : run_.files_rejected > 0 ? "rejected" : "ok";
    run_.message = first_failure_;
    if (run_.id != 0) (void)store_.FinishRun(run_);
    return run_;
  }

 private:
  void Say(const std::string& line) {
    if (o_.on_file) o_.on_file(line);
  }
  void Failed(const std::string& what, bool say = true) {
    failed_ = true;
    if (first_failure_.empty()) first_failure_ = what;
    if (say) Say("failed: " + what);
  }

  Status Body() {
    TC_ASSIGN_OR_RETURN(std::unique_ptr<Transport> t, MakeTransport(c_.source));
    transport_ = std::move(t);
    TC_ASSIGN_OR_RETURN(std::vector<RemoteFile> files, transport_->List());
    listed_at_ = std::chrono::steady_clock::now();
    // Files seen waiting in earlier listings and gone since (removed by the
    // partner before they were stable): their sightings go.
    std::vector<std::string> listed;
    listed.reserve(files.size());
    for (const RemoteFile& f : files) listed.push_back(f.path);
    TC_RETURN_IF_ERROR(Stored(store_.ForgetSightingsExcept(c_.name, listed)));
    for (const RemoteFile& f : files) {
      if (o_.lease_lost) {
        const std::string why = o_.lease_lost();
        if (!why.empty()) {
          Say(why + ": the run stops here");
          return Status::Aborted(why);
        }
      }
      Status s = One(f);
      if (!s.ok()) {
        // Storage trouble stops the run (the next run retries everything),
        // and so does a lost lease; a file's transfer trouble only that file.
        if (store_failed_ || store::IsLeaseLost(s)) return s;
        Failed(s.message());
      }
    }
    return Status::Ok();
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

  // A file not yet read is taken once nobody writes it: unchanged (size and
  // mtime) since a sighting at least stable_for ago, or with an mtime at least
  // stable_for old that does not change between the listing and a second
  // look within the run (so an old file is taken on a first run).
  Result<bool> Stable(const RemoteFile& f) {
    const int64_t stable_for = c_.source.stable_for_ms;
    const EpochMs now = clock_.NowMs();
    TC_ASSIGN_OR_RETURN(EpochMs first_seen, Stored(store_.NoteSighting(c_.name, f.path, f.size, f.mtime_ms, now)));
    if (now - first_seen >= stable_for) return true;
    if (now - f.mtime_ms >= stable_for) {
      // A second look, at least a second (or stable_for) after the listing.
      std::this_thread::sleep_until(listed_at_ + std::chrono::milliseconds(std::min<int64_t>(stable_for, 1000)));
      RemoteFile again{f.path};
      TC_RETURN_IF_ERROR(transport_->Stat(again));
      if (again.size == f.size && again.mtime_ms == f.mtime_ms) return true;
    }
    ++run_.files_waiting;
    Say(fmt::format("{}: not stable yet ({} bytes, modified {} s ago, unchanged for {} s; waits {} s)", f.path, f.size,
                    std::max<int64_t>(0, now - f.mtime_ms) / 1000, (now - first_seen) / 1000, stable_for / 1000));
    return false;
  }

  Status One(const RemoteFile& f) {
    // Journaled under this listing identity (path, size, mtime)? Its content decides.
    TC_ASSIGN_OR_RETURN(std::optional<store::FileRecord> known, Stored(store_.FindFile(c_.name, f.path, f.size, f.mtime_ms)));
    const bool journaled = known && known->status != "retry";
    if (!journaled) {
      TC_ASSIGN_OR_RETURN(bool stable, Stable(f));
      if (!stable) return Status::Ok();
    }
    SpoolCopy copy;
    TC_ASSIGN_OR_RETURN(copy.path, transport_->Fetch(f, SpoolFileName(o_.spool_dir, c_.name, ++fetches_)));
    copy.remove = !transport_->local();
    if (journaled) {
      TC_ASSIGN_OR_RETURN(std::string sha256, HashFileHex(copy.path));
      if (sha256 == known->sha256) {
        ++run_.files_skipped;
        return Complete(f, *known, known->at, copy.path, "");
      }
      Say(fmt::format("{}: same size and mtime as the version journaled {}, but other content: imported as a new version",
                      f.path, FormatIso8601(known->at)));
    }
    FileListing listing{c_.name, f.path, f.size, f.mtime_ms};
    const EpochMs now = clock_.NowMs();
    TC_ASSIGN_OR_RETURN(ImportOutcome out, Stored(ImportFile(store_, c_.scope, c_.profile, copy.path, listing, now,
                                                             store::Durability::kOnReturn, o_.fence)));
    (void)store_.ForgetSighting(c_.name, f.path);
    run_.rows += out.report.rows;
    run_.row_errors += out.report.error_count;
    switch (out.kind) {
      case ImportOutcome::Kind::kImported:
        ++run_.files_imported;
        run_.readings += out.record.readings;
        Say(fmt::format("{}: imported, {} readings ({} rows skipped)", f.path, out.record.readings, out.report.rows_rejected));
        break;
      case ImportOutcome::Kind::kDuplicate:
        ++run_.files_skipped;
        Say(fmt::format("{}: same content as {} (imported {}): nothing written", f.path, out.record.path,
                        FormatIso8601(out.record.at)));
        break;
      case ImportOutcome::Kind::kRejected:
        ++run_.files_rejected;
        Say(fmt::format("{}: rejected, {} errors (first: line {}: {})", f.path, out.report.error_count,
                        out.report.errors.empty() ? 0 : out.report.errors[0].line,
                        out.report.errors.empty() ? "" : out.report.errors[0].message));
        if (first_failure_.empty()) first_failure_ = f.path + " rejected: " + (out.report.errors.empty() ? "" : out.report.errors[0].message);
        break;
    }
    return Complete(f, out.journaled, now, copy.path,
                    out.kind == ImportOutcome::Kind::kRejected ? out.report.ToText() : std::string());
  }

  // The completion step of a file read whole (`record`, journaled at
  // `read_at`): delete or archive it — only if it is still exactly what was
  // read, and has stayed so for complete_after — or quarantine it if it was
  // rejected and has not changed since (nothing of it was stored). Otherwise
  // it is left: a changed file is read again by a later run.
  Status Complete(const RemoteFile& f, const store::FileRecord& record, EpochMs read_at, const std::string& local_copy,
                  const std::string& report_text) {
    const bool rejected = record.status == "rejected";
    const SourceOptions& o = c_.source;
    if (rejected ? !o.quarantine : o.after_import == SourceOptions::After::kLeave) return Status::Ok();
    const char* action = rejected ? "quarantine" : o.after_import == SourceOptions::After::kDelete ? "delete" : "archive";
    RemoteFile now_f{f.path};
    Status st = transport_->Stat(now_f);
    if (st.code() == StatusCode::kNotFound) {
      Say(fmt::format("{}: gone before its {} (removed by the partner?)", f.path, action));
      return Status::Ok();
    }
    TC_RETURN_IF_ERROR(st);
    bool same = now_f.size == f.size && now_f.mtime_ms == f.mtime_ms;
    if (same && transport_->local()) {
      // Read in place: hashing it again costs a local read, and catches a rewrite within the same second.
      TC_ASSIGN_OR_RETURN(std::string sha256, HashFileHex(local_copy));
      same = sha256 == record.sha256;
    }
    if (!same) {
      ++run_.files_waiting;
      Say(fmt::format("{}: changed since it was read ({} bytes then, {} now): no {}; read again once stable", f.path,
                      f.size, now_f.size, action));
      return Status::Ok();
    }
    const EpochMs now = clock_.NowMs();
    if (!rejected && now - read_at < o.complete_after()) {
      ++run_.files_waiting;
      Say(fmt::format("{}: {} once unchanged for {} s after its reading", f.path, action, o.complete_after() / 1000));
      return Status::Ok();
    }
    if (rejected) {
      Say(fmt::format("{}: rejected, moved to {}", f.path, o.quarantine_dir));
      const std::string name = StampedName(f, now);
      TC_RETURN_IF_ERROR(transport_->Move(f, o.quarantine_dir, name));
      return transport_->Put(o.quarantine_dir, name + ".report.txt",
                             report_text.empty() ? "rejected: see `telecollect files` and the report journaled with it\n"
                                                 : report_text);
    }
    if (read_at != now) Say(fmt::format("{}: already imported ({}), unchanged since: {}", f.path, FormatIso8601(read_at), action));
    if (o.after_import == SourceOptions::After::kDelete) return transport_->Remove(f);
    return transport_->Move(f, o.archive_dir, StampedName(f, now));
  }

  store::Store& store_;
  const Connector& c_;
  const Clock& clock_;
  const RunOptions& o_;
  std::unique_ptr<Transport> transport_;
  std::chrono::steady_clock::time_point listed_at_;
  store::RunRecord run_;
  std::string first_failure_;
  bool failed_ = false;      // a transfer or storage failure (not a rejected file)
  bool store_failed_ = false;
  int fetches_ = 0;
};

}  // namespace

store::RunRecord RunConnector(store::Store& store, const Connector& connector, const Clock& clock,
                              const RunOptions& options) {
  return Run(store, connector, clock, options).Go();
}

}  // namespace telecollect::files
