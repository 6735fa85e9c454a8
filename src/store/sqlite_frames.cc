// The frame journal of SqliteStore: the inbox that takes new frames, its merge
// into the indexed journal, and the queries and updates that see both.
#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>
#include <unordered_map>

#include "core/json_writer.h"
#include "core/log.h"
#include "store/sqlite_store.h"
#include "store/sqlite_store_internal.h"

namespace telecollect::store {
namespace {

int StatusToInt(DecodeStatus s) { return static_cast<int>(s); }
DecodeStatus IntToStatus(int64_t v) {
  return v == 0 ? DecodeStatus::kDecoded : v == 2 ? DecodeStatus::kFailed : DecodeStatus::kNoDecoder;
}

// The columns of `frames` and `frame_inbox` alike, id first.
constexpr const char* kColumns =
    "id, scope_id, device_id, event_ms, payload, source, device_type, received_ms, fport, metadata, status, reason, "
    "encrypted, decoded_values";
constexpr int kFrameParams = 14;

// A decoded frame's values as stored with it: {"module": value}; NULL when none.
void BindValues(Stmt& st, int index, const std::vector<Measurement>& measurements) {
  if (measurements.empty()) {
    st.BindNull(index);
    return;
  }
  JsonWriter w;
  w.BeginObject();
  for (const auto& m : measurements) w.Key(m.module).Number(m.value);
  w.EndObject();
  st.BindCopy(index, w.Take());
}

void BindFrame(Stmt& st, int base, int64_t id, int64_t scope_id, const DecodedFrame& df) {
  const Frame& f = df.frame;
  st.Bind(base + 1, id).Bind(base + 2, scope_id).Bind(base + 3, f.device_id).Bind(base + 4, f.event_time);
  st.BindBlob(base + 5, f.payload.data(), f.payload.size());
  st.Bind(base + 6, f.source).Bind(base + 7, f.device_type).Bind(base + 8, f.received_at);
  if (f.fport) st.Bind(base + 9, *f.fport); else st.BindNull(base + 9);
  if (f.metadata_json.empty()) st.BindNull(base + 10); else st.Bind(base + 10, f.metadata_json);
  st.Bind(base + 11, StatusToInt(df.status)).Bind(base + 12, df.reason).Bind(base + 13, f.encrypted ? 1 : 0);
  BindValues(st, base + 14, df.measurements);
}

// A frame's identity (scope, device, event time, payload) as one string: the
// fixed-width numbers and the device id's length first, so that no two
// identities give the same string.
void FrameKey(int64_t scope_id, std::string_view device_id, int64_t event_ms, std::string_view payload,
              std::string& out) {
  char fixed[20];
  const auto device_size = static_cast<uint32_t>(device_id.size());
  std::memcpy(fixed, &scope_id, 8);
  std::memcpy(fixed + 8, &event_ms, 8);
  std::memcpy(fixed + 16, &device_size, 4);
  out.assign(fixed, sizeof fixed);
  out.append(device_id);
  out.append(payload);
}

std::string_view AsView(const Bytes& b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

// A device's key in SqliteStore's per-device maps: the scope id's bytes, then the device id.
void DeviceKey(int64_t scope_id, std::string_view device_id, std::string& out) {
  out.assign(reinterpret_cast<const char*>(&scope_id), sizeof scope_id);
  out.append(device_id);
}

void Raise(int64_t& newest, int64_t event_ms) { newest = std::max(newest, event_ms); }

constexpr int64_t kNoFrame = std::numeric_limits<int64_t>::min();

}  // namespace

Stmt& SqliteStore::InsertFramesStmt(size_t rows, bool into_journal) {
  const size_t key = rows * 2 + (into_journal ? 1 : 0);
  auto it = insert_frames_.find(key);
  if (it != insert_frames_.end()) return it->second;
  std::string sql = std::string("INSERT INTO ") + (into_journal ? "frames(" : "frame_inbox(") + kColumns + ") VALUES ";
  std::string row = "(?";
  for (int k = 1; k < kFrameParams; ++k) row += ",?";
  row += ")";
  for (size_t i = 0; i < rows; ++i) sql += (i ? "," : "") + row;
  // Into the journal, a row that changes nothing is a frame journaled already.
  if (into_journal) sql += " ON CONFLICT DO NOTHING";
  return insert_frames_.emplace(key, Stmt(writer_.get(), sql)).first->second;
}

Result<bool> SqliteStore::Journaled(int64_t scope_id, const Frame& f, int64_t* id) {
  Stmt& find = stmts_->find_frame;
  find.Bind(1, scope_id).Bind(2, f.device_id).Bind(3, f.event_time);
  find.BindBlob(4, f.payload.data(), f.payload.size());
  auto found = find.Step();
  if (found.ok() && *found && id) *id = find.Int(0);
  find.Reset();
  return found;
}

Result<int64_t*> SqliteStore::NewestFrameBound(int64_t scope_id, std::string_view device_id) {
  DeviceKey(scope_id, device_id, device_key_buf_);
  if (auto it = newest_frame_.find(std::string_view(device_key_buf_)); it != newest_frame_.end()) return &it->second;
  Stmt& q = stmts_->newest_frame;
  q.Bind(1, scope_id).Bind(2, device_id);
  auto row = q.Step();
  int64_t newest = row.ok() && *row && !q.IsNull(0) ? q.Int(0) : kNoFrame;
  q.Reset();
  if (!row.ok()) return row.status();
  if (auto it = inbox_newest_.find(std::string_view(device_key_buf_)); it != inbox_newest_.end()) Raise(newest, it->second);
  return &newest_frame_.emplace(device_key_buf_, newest).first->second;
}

void SqliteStore::ForgetFrameCaches() {
  inbox_loaded_ = false;
  newest_frame_.clear();
}

bool SqliteStore::FromFewDevices(std::span<const PendingFrame> frames) {
  if (frames.size() < kJournalDirectlyFrames) return false;
  size_t runs = 1;  // of consecutive frames of one device: a request's batch is one or a few
  for (size_t i = 1; i < frames.size(); ++i) {
    const Frame& a = frames[i - 1].frame->frame;
    const Frame& b = frames[i].frame->frame;
    if (frames[i - 1].scope_id != frames[i].scope_id || a.device_id != b.device_id) ++runs;
  }
  return runs * kJournalDirectlyFramesPerDevice <= frames.size();
}

Status SqliteStore::InsertFrames(std::span<const PendingFrame> frames, std::vector<char>& fresh) {
  if (!inbox_loaded_) TC_RETURN_IF_ERROR(LoadInbox());
  fresh.assign(frames.size(), 0);
  to_insert_.clear();
  // A group of few devices (platform batches, a device's backlog) goes straight
  // into the journal: its index entries are neighbours already, and the inbox
  // would only write every frame twice. Frames of many devices go to the inbox.
  const bool into_journal = FromFewDevices(frames);
  for (size_t i = 0; i < frames.size(); ++i) {
    const Frame& f = frames[i].frame->frame;
    // Straight into the journal, its unique index finds the duplicates (below);
    // only the inbox's frames need looking up here.
    if (!into_journal || !inbox_keys_.empty()) {
      FrameKey(frames[i].scope_id, f.device_id, f.event_time, AsView(f.payload), key_buf_);
      if (inbox_keys_.contains(key_buf_)) continue;  // in the inbox (or going there earlier in this group)
    }
    if (!into_journal) {
      TC_ASSIGN_OR_RETURN(int64_t* newest, NewestFrameBound(frames[i].scope_id, f.device_id));
      if (f.event_time <= *newest) {  // not newer than every frame of its device: look
        TC_ASSIGN_OR_RETURN(bool journaled, Journaled(frames[i].scope_id, f, nullptr));
        if (journaled) continue;
      }
      Raise(*newest, f.event_time);
      inbox_keys_.insert(key_buf_);
      Raise(inbox_newest_.try_emplace(device_key_buf_, kNoFrame).first->second, f.event_time);
    } else if (!newest_frame_.empty()) {
      // Known devices' bounds follow the journal too (a duplicate raises one
      // needlessly: a bound may be loose, never short).
      DeviceKey(frames[i].scope_id, f.device_id, device_key_buf_);
      if (auto it = newest_frame_.find(std::string_view(device_key_buf_)); it != newest_frame_.end()) {
        Raise(it->second, f.event_time);
      }
    }
    fresh[i] = 1;
    to_insert_.push_back(i);
  }
  // On failure the transaction rolls back and InTransaction marks the inbox
  // for reloading: the keys and ids taken here are forgotten with it.
  for (size_t i = 0; i < to_insert_.size();) {
    const size_t n = std::min(kFramesPerStatement, to_insert_.size() - i);
    Stmt& ins = InsertFramesStmt(n, into_journal);
    const int64_t first_id = next_frame_id_;
    for (size_t k = 0; k < n; ++k) {
      const PendingFrame& p = frames[to_insert_[i + k]];
      BindFrame(ins, static_cast<int>(k) * kFrameParams, next_frame_id_++, p.scope_id, *p.frame);
    }
    TC_RETURN_IF_ERROR(ins.Run());
    if (into_journal && static_cast<size_t>(sqlite3_changes(writer_.get())) < n) {
      // Some were journaled already (a resend, or a copy earlier in the group):
      // a frame is new if the row of its identity has the id it was given here.
      for (size_t k = 0; k < n; ++k) {
        const PendingFrame& p = frames[to_insert_[i + k]];
        int64_t id = 0;
        TC_RETURN_IF_ERROR(Journaled(p.scope_id, p.frame->frame, &id).status());
        if (id != first_id + static_cast<int64_t>(k)) fresh[to_insert_[i + k]] = 0;
      }
    }
    i += n;
  }
  return Status::Ok();
}

Status SqliteStore::LoadInbox() {
  inbox_keys_.clear();
  inbox_newest_.clear();
  Stmt rows(writer_.get(), "SELECT scope_id, device_id, event_ms, payload FROM frame_inbox");
  while (true) {
    TC_ASSIGN_OR_RETURN(bool row, rows.Step());
    if (!row) break;
    FrameKey(rows.Int(0), rows.Blob(1), rows.Int(2), rows.Blob(3), key_buf_);
    inbox_keys_.insert(key_buf_);
    DeviceKey(rows.Int(0), rows.Blob(1), device_key_buf_);
    Raise(inbox_newest_.try_emplace(device_key_buf_, kNoFrame).first->second, rows.Int(2));
  }
  Stmt top(writer_.get(),
           "SELECT max(ifnull((SELECT max(id) FROM frames), 0), ifnull((SELECT max(id) FROM frame_inbox), 0))");
  TC_ASSIGN_OR_RETURN(bool row, top.Step());
  next_frame_id_ = (row ? top.Int(0) : 0) + 1;
  inbox_loaded_ = true;
  return Status::Ok();
}

Status SqliteStore::InboxByIdentity(int64_t max_id, std::vector<int64_t>& ids, std::vector<size_t>& slice_ends) {
  // Devices are numbered as met, then ranked in identity order once each: the
  // frames are sorted by numbers, not by comparing device ids.
  struct Entry {
    int64_t scope_id;
    uint32_t device;  // index in `devices`, then its rank
    int64_t event_ms;
    int64_t id;
  };
  std::vector<std::pair<int64_t, std::string>> devices;  // (scope id, device id), in order met
  std::unordered_map<std::string, uint32_t> device_index;  // key: DeviceKey
  std::vector<Entry> entries;
  Stmt rows(writer_.get(), "SELECT id, scope_id, device_id, event_ms FROM frame_inbox WHERE id <= ?1");
  rows.Bind(1, max_id);
  while (true) {
    TC_ASSIGN_OR_RETURN(bool row, rows.Step());
    if (!row) break;
    const int64_t scope_id = rows.Int(1);
    DeviceKey(scope_id, rows.Blob(2), device_key_buf_);
    auto [it, added] = device_index.try_emplace(device_key_buf_, static_cast<uint32_t>(devices.size()));
    if (added) devices.emplace_back(scope_id, std::string(rows.Blob(2)));
    entries.push_back({scope_id, it->second, rows.Int(3), rows.Int(0)});
  }
  std::vector<uint32_t> order(devices.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return devices[a] < devices[b]; });
  std::vector<uint32_t> rank(devices.size());
  for (uint32_t r = 0; r < order.size(); ++r) rank[order[r]] = r;
  for (Entry& e : entries) e.device = rank[e.device];
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    if (a.device != b.device) return a.device < b.device;  // ranks order (scope, device id)
    if (a.event_ms != b.event_ms) return a.event_ms < b.event_ms;
    return a.id < b.id;
  });
  ids.clear();
  slice_ends.clear();
  ids.reserve(entries.size());
  size_t in_slice = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i > 0 && entries[i].device != entries[i - 1].device && in_slice >= kMergeSliceFrames) {
      slice_ends.push_back(i);
      in_slice = 0;
    }
    ids.push_back(entries[i].id);
    ++in_slice;
  }
  if (!ids.empty()) slice_ends.push_back(ids.size());
  return Status::Ok();
}

Status SqliteStore::MergeInbox(std::span<const int64_t> ids) {
  // In identity order, kMergeIdsPerStatement ids per statement (a run of one
  // device or a few: the order inside a statement does not change which index
  // leaves they go to): the frames of one device go into the journal's index
  // together, one leaf for many of them.
  constexpr size_t kMergeIdsPerStatement = 64;
  auto in_list = [](size_t n) {
    std::string list = " WHERE id IN (";
    for (size_t i = 0; i < n; ++i) list += i ? ",?" : "?";
    return list + ")";
  };
  std::optional<Stmt> merge, remove;  // for kMergeIdsPerStatement ids; the last statement is made to measure
  int64_t merged = 0, removed = 0;
  for (size_t i = 0; i < ids.size(); i += kMergeIdsPerStatement) {
    const size_t n = std::min(kMergeIdsPerStatement, ids.size() - i);
    std::optional<Stmt> tail_merge, tail_remove;
    std::optional<Stmt>& m = n == kMergeIdsPerStatement ? merge : tail_merge;
    std::optional<Stmt>& r = n == kMergeIdsPerStatement ? remove : tail_remove;
    if (!m) {
      m.emplace(writer_.get(), std::string("INSERT OR IGNORE INTO frames(") + kColumns + ") SELECT " + kColumns +
                                   " FROM frame_inbox" + in_list(n));
      r.emplace(writer_.get(), "DELETE FROM frame_inbox" + in_list(n));
    }
    for (size_t k = 0; k < n; ++k) {
      m->Bind(static_cast<int>(k) + 1, ids[i + k]);
      r->Bind(static_cast<int>(k) + 1, ids[i + k]);
    }
    TC_RETURN_IF_ERROR(m->Run());
    merged += sqlite3_changes(writer_.get());
    TC_RETURN_IF_ERROR(r->Run());
    removed += sqlite3_changes(writer_.get());
  }
  if (merged != removed) {
    // Cannot happen while every writer checks the inbox and the journal before
    // it appends; said loudly if it does (the journal's copy is kept).
    LogError("frame_inbox_merge_found_duplicates", {{"frames", std::to_string(removed - merged)}});
  }
  return Status::Ok();
}

void SqliteStore::MaybeMergeInbox() {
  if (!merge_.active) {
    if (!inbox_loaded_ || inbox_keys_.size() < kMergeInboxFrames) return;
    merge_ = MergeCycle{};
    if (Status s = InboxByIdentity(next_frame_id_ - 1, merge_.ids, merge_.slice_ends); !s.ok()) {
      LogWarn("frame_inbox_merge_failed", {{"error", s.message()}});
      return;
    }
    merge_.active = true;
  }
  const size_t i = merge_.next;
  const bool last = i + 1 >= merge_.slice_ends.size();
  const size_t begin = i == 0 ? 0 : merge_.slice_ends[i - 1];
  const size_t end = merge_.slice_ends.empty() ? 0 : merge_.slice_ends[i];
  // Its own transaction: the writes before it are committed whatever happens
  // here; if it fails, the frames stay in the inbox (reads see them there) and
  // the next write tries the same slice again.
  Status s = InTransaction([&]() TC_REQUIRES(write_mu_) -> Status {
    TC_RETURN_IF_ERROR(MergeInbox(std::span<const int64_t>(merge_.ids).subspan(begin, end - begin)));
    return last ? LoadInbox() : Status::Ok();  // the cycle's merged keys go
  });
  if (!s.ok()) {
    LogWarn("frame_inbox_merge_failed", {{"error", s.message()}});
    return;
  }
  if (last) merge_ = MergeCycle{};
  else ++merge_.next;
}

Status SqliteStore::UpdateFrameDecoding(int64_t scope_id, const Redecoded& r) {
  for (Stmt* st : {&stmts_->update_frame, &stmts_->update_inbox_frame}) {
    st->Bind(1, StatusToInt(r.status)).Bind(2, r.reason).Bind(3, r.frame_id).Bind(4, scope_id);
    st->Bind(5, r.device_type);
    BindValues(*st, 6, r.measurements);
    TC_RETURN_IF_ERROR(st->Run());
    if (sqlite3_changes(writer_.get()) > 0) break;  // a frame is in one table or the other
  }
  return Status::Ok();
}

Result<std::vector<FrameRecord>> SqliteStore::QueryFrames(const FrameQuery& fq) {
  TC_ASSIGN_OR_RETURN(ReadLease lease, AcquireReader());
  TC_ASSIGN_OR_RETURN(std::optional<int64_t> scope_id, FindScopeId(lease.get(), fq.scope));
  std::vector<FrameRecord> out;
  if (!scope_id) return out;
  std::string filter;
  if (fq.device_id) filter += " AND device_id = ?2";
  if (fq.device_type) filter += " AND device_type = ?3";
  if (fq.status) filter += " AND status = ?4";
  if (fq.from) filter += " AND event_ms >= ?5";
  if (fq.to) filter += " AND event_ms < ?6";
  if (fq.before_id) filter += " AND id < ?7";
  if (fq.after_id) filter += " AND id > ?8";
  constexpr const char* kSelect =
      "SELECT id, source, device_id, device_type, received_ms, event_ms, fport, payload, metadata, status, reason, "
      "encrypted, decoded_values FROM ";
  // One device: its frames through the identity index. Otherwise the journal is
  // walked in id order (`+scope_id` keeps SQLite from sorting every frame of the
  // scope found through that index), the inbox beside it, merged by id.
  std::string sql = std::string(kSelect) + "frames WHERE " + (fq.device_id ? "scope_id = ?1" : "+scope_id = ?1") +
                    filter + " UNION ALL " + kSelect + "frame_inbox WHERE scope_id = ?1" + filter;
  sql += fq.oldest_first ? " ORDER BY id ASC LIMIT ?9" : " ORDER BY id DESC LIMIT ?9";
  Stmt q(lease.get(), sql);
  q.Bind(1, *scope_id);
  if (fq.device_id) q.Bind(2, *fq.device_id);
  if (fq.device_type) q.Bind(3, *fq.device_type);
  if (fq.status) q.Bind(4, StatusToInt(*fq.status));
  if (fq.from) q.Bind(5, *fq.from);
  if (fq.to) q.Bind(6, *fq.to);
  if (fq.before_id) q.Bind(7, *fq.before_id);
  if (fq.after_id) q.Bind(8, *fq.after_id);
  q.Bind(9, static_cast<int64_t>(fq.limit));
  while (true) {
    TC_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    FrameRecord r;
    r.id = q.Int(0);
    r.frame.source = q.Text(1);
    r.frame.device_id = q.Text(2);
    r.frame.device_type = q.Text(3);
    r.frame.received_at = q.Int(4);
    r.frame.event_time = q.Int(5);
    if (!q.IsNull(6)) r.frame.fport = static_cast<int>(q.Int(6));
    const std::string_view p = q.Blob(7);
    r.frame.payload.assign(p.begin(), p.end());
    r.frame.metadata_json = q.Text(8);
    r.status = IntToStatus(q.Int(9));
    r.reason = q.Text(10);
    r.frame.encrypted = q.Int(11) != 0;
    r.values_json = q.Text(12);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace telecollect::store
