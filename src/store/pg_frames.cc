// PgStore: the frame journal (group commits, redecoding, frame queries).
#include <unordered_set>

#include "core/json_writer.h"
#include "store/pg_store_internal.h"

namespace telecollect::store {
namespace {

int StatusToInt(DecodeStatus s) { return static_cast<int>(s); }
DecodeStatus IntToStatus(int64_t v) {
  return v == 0 ? DecodeStatus::kDecoded : v == 2 ? DecodeStatus::kFailed : DecodeStatus::kNoDecoder;
}

std::string_view AsView(const Bytes& b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

// A decoded frame's values as stored with it: {"module": value}; NULL when none.
void AddValues(PgArray& a, const std::vector<Measurement>& measurements) {
  if (measurements.empty()) {
    a.AddNull();
    return;
  }
  JsonWriter w;
  w.BeginObject();
  for (const auto& m : measurements) w.Key(m.module).Number(m.value);
  w.EndObject();
  a.Add(std::string_view(w.Take()));
}

// A frame's identity as one string (scope, event time, device id's length first).
std::string FrameKey(int64_t scope_id, std::string_view device_id, int64_t event_ms, std::string_view payload) {
  std::string k = std::to_string(scope_id) + ':' + std::to_string(event_ms) + ':' + std::to_string(device_id.size()) + ':';
  k += device_id;
  k += payload;
  return k;
}

// Stages `ms` for the chunks, resolving their modules in one statement.
Status StageAll(PgStore::Tx& tx, int64_t scope_id, const std::vector<const Measurement*>& ms, size_t& written) {
  std::vector<PgStore::Tx::ModuleRef> refs;
  refs.reserve(ms.size());
  for (const Measurement* m : ms) refs.push_back({scope_id, m->module, m->unit, m->ts});
  std::vector<int64_t> ids;
  TC_RETURN_IF_ERROR(tx.ResolveModules(refs, ids));
  for (size_t i = 0; i < ms.size(); ++i) tx.Stage(ids[i], {ms[i]->ts, ms[i]->value, ms[i]->quality});
  written += ms.size();
  return Status::Ok();
}

}  // namespace

Result<std::vector<WriteResult>> PgStore::Write(std::span<const WriteBatch* const> batches) {
  std::vector<WriteResult> results;
  uint64_t commit = 0;
  TC_RETURN_IF_ERROR(InTransaction([&](Tx& tx) -> Status {
    results.assign(batches.size(), WriteResult{});
    // Every frame of the group in one INSERT; those it returns are new.
    std::vector<int64_t> scope_ids(batches.size());
    PgArray sc, dev, ev, pay, src, typ, rec, fport, meta, st, why, enc, vals;
    for (size_t b = 0; b < batches.size(); ++b) {
      TC_ASSIGN_OR_RETURN(scope_ids[b], tx.ScopeId(batches[b]->scope));
      for (const DecodedFrame& df : batches[b]->frames) {
        const Frame& f = df.frame;
        sc.Add(scope_ids[b]);
        dev.Add(f.device_id);
        ev.Add(f.event_time);
        pay.AddBytes(AsView(f.payload));
        src.Add(f.source);
        typ.Add(f.device_type);
        rec.Add(f.received_at);
        if (f.fport) fport.Add(static_cast<int64_t>(*f.fport)); else fport.AddNull();
        if (f.metadata_json.empty()) meta.AddNull(); else meta.Add(f.metadata_json);
        st.Add(static_cast<int64_t>(StatusToInt(df.status)));
        why.Add(df.reason);
        enc.AddBool(f.encrypted);
        AddValues(vals, df.measurements);
      }
    }
    std::unordered_set<std::string> inserted;
    if (sc.size() > 0) {
      PgParams p;
      for (PgArray* a : {&sc, &dev, &ev, &pay, &src, &typ, &rec, &fport, &meta, &st, &why, &enc, &vals}) {
        p.Add(std::string_view(a->Take()));
      }
      TC_ASSIGN_OR_RETURN(
          PgResult r,
          tx.ExecPrepared("tc_frames_insert", "INSERT INTO frames(scope_id, device_id, event_ms, payload, source, device_type, received_ms, fport, "
                  "metadata, status, reason, encrypted, decoded_values) SELECT * FROM unnest($1::bigint[], $2::text[], "
                  "$3::bigint[], $4::bytea[], $5::text[], $6::text[], $7::bigint[], $8::integer[], $9::text[], "
                  "$10::smallint[], $11::text[], $12::boolean[], $13::text[]) ON CONFLICT (scope_id, device_id, event_ms, payload_hash) DO NOTHING "
                  "RETURNING scope_id, device_id, event_ms, payload",
                  p));
      for (int row = 0; row < r.rows(); ++row) {
        inserted.insert(FrameKey(r.Int(row, 0), r.Text(row, 1), r.Int(row, 2), r.Bytes(row, 3)));
      }
    }
    // A frame is new when its identity was inserted now, the first time it
    // appears in the group (a later copy is a duplicate). The modules of every
    // batch are resolved in one statement.
    std::vector<Tx::ModuleRef> refs;
    std::vector<const Measurement*> ms;
    auto add = [&](int64_t scope_id, const Measurement& m, WriteResult& res) {
      refs.push_back({scope_id, m.module, m.unit, m.ts});
      ms.push_back(&m);
      ++res.measurements_written;
    };
    for (size_t b = 0; b < batches.size(); ++b) {
      const WriteBatch& batch = *batches[b];
      WriteResult& res = results[b];
      res.duplicate.resize(batch.frames.size());
      for (size_t i = 0; i < batch.frames.size(); ++i) {
        const Frame& f = batch.frames[i].frame;
        auto it = inserted.find(FrameKey(scope_ids[b], f.device_id, f.event_time, AsView(f.payload)));
        if (it == inserted.end()) {
          res.duplicate[i] = true;
          ++res.frames_duplicate;
          continue;
        }
        inserted.erase(it);
        ++res.frames_new;
        for (const Measurement& m : batch.frames[i].measurements) add(scope_ids[b], m, res);
      }
      for (const Measurement& m : batch.measurements) add(scope_ids[b], m, res);
    }
    std::vector<int64_t> ids;
    TC_RETURN_IF_ERROR(tx.ResolveModules(refs, ids));
    for (size_t i = 0; i < ms.size(); ++i) tx.Stage(ids[i], {ms[i]->ts, ms[i]->value, ms[i]->quality});
    return tx.Flush();
  }, /*retryable=*/true, /*commit_later=*/true, &commit));
  for (WriteResult& r : results) r.commit = commit;
  return results;
}

Status PgStore::Redecode(const Scope& scope, std::span<const Redecoded> results) {
  return InTransaction([&](Tx& tx) -> Status {
    TC_ASSIGN_OR_RETURN(int64_t scope_id, tx.ScopeId(scope));
    PgArray ids, statuses, reasons, types, values;
    std::vector<const Measurement*> ms;
    for (const Redecoded& r : results) {
      ids.Add(r.frame_id);
      statuses.Add(static_cast<int64_t>(StatusToInt(r.status)));
      reasons.Add(r.reason);
      types.Add(r.device_type);
      AddValues(values, r.measurements);
      for (const Measurement& m : r.measurements) ms.push_back(&m);
    }
    if (ids.size() > 0) {
      PgParams p;
      p.Add(scope_id).Add(std::string_view(ids.Take())).Add(std::string_view(statuses.Take()));
      p.Add(std::string_view(reasons.Take())).Add(std::string_view(types.Take())).Add(std::string_view(values.Take()));
      TC_RETURN_IF_ERROR(tx.Exec("UPDATE frames f SET status = u.st, reason = u.why, device_type = u.t, "
                                 "decoded_values = u.v FROM unnest($2::bigint[], $3::smallint[], $4::text[], $5::text[], "
                                 "$6::text[]) AS u(id, st, why, t, v) "
                                 "WHERE f.id = u.id AND f.scope_id = $1",
                                 p)
                             .status());
    }
    size_t written = 0;
    TC_RETURN_IF_ERROR(StageAll(tx, scope_id, ms, written));
    TC_RETURN_IF_ERROR(tx.Flush());
    // A unit the new decoding gives (a measurement map's) replaces the module's.
    const std::map<std::string, std::string> units = RedecodedUnits(results);
    if (units.empty()) return Status::Ok();
    PgArray names, values_of_unit;
    for (const auto& [name, unit] : units) {
      names.Add(name);
      values_of_unit.Add(unit);
    }
    PgParams p;
    p.Add(scope_id).Add(std::string_view(names.Take())).Add(std::string_view(values_of_unit.Take()));
    return tx.Exec("UPDATE modules m SET unit = u.unit FROM unnest($2::text[], $3::text[]) AS u(name, unit) "
                   "WHERE m.scope_id = $1 AND m.name = u.name AND m.unit <> u.unit",
                   p)
        .status();
  });
}

Result<std::vector<FrameRecord>> PgStore::QueryFrames(const FrameQuery& fq) {
  std::vector<FrameRecord> out;
  TC_RETURN_IF_ERROR(Read([&](PGconn* db) -> Status {
    TC_ASSIGN_OR_RETURN(std::optional<int64_t> scope_id, FindScopeId(db, fq.scope));
    if (!scope_id) return Status::Ok();
    PgParams p;
    p.Add(*scope_id);
    std::string sql =
        "SELECT id, source, device_id, device_type, received_ms, event_ms, fport, payload, metadata, status, reason, "
        "encrypted, decoded_values FROM frames WHERE scope_id = $1";
    auto filter = [&](const char* column_op, auto value) {
      p.Add(value);
      sql += std::string(" AND ") + column_op + " $" + std::to_string(p.size());
    };
    if (fq.device_id) filter("device_id =", std::string_view(*fq.device_id));
    if (fq.device_type) filter("device_type =", std::string_view(*fq.device_type));
    if (fq.status) filter("status =", static_cast<int64_t>(StatusToInt(*fq.status)));
    if (fq.from) filter("event_ms >=", *fq.from);
    if (fq.to) filter("event_ms <", *fq.to);
    if (fq.before_id) filter("id <", *fq.before_id);
    if (fq.after_id) filter("id >", *fq.after_id);
    p.Add(fq.limit);
    sql += std::string(fq.oldest_first ? " ORDER BY id ASC" : " ORDER BY id DESC") + " LIMIT $" + std::to_string(p.size());
    TC_ASSIGN_OR_RETURN(PgResult r, PgExec(db, sql, p));
    for (int i = 0; i < r.rows(); ++i) {
      FrameRecord rec;
      rec.id = r.Int(i, 0);
      rec.frame.source = r.String(i, 1);
      rec.frame.device_id = r.String(i, 2);
      rec.frame.device_type = r.String(i, 3);
      rec.frame.received_at = r.Int(i, 4);
      rec.frame.event_time = r.Int(i, 5);
      if (!r.IsNull(i, 6)) rec.frame.fport = static_cast<int>(r.Int(i, 6));
      const std::string payload = r.Bytes(i, 7);
      rec.frame.payload.assign(payload.begin(), payload.end());
      rec.frame.metadata_json = r.String(i, 8);
      rec.status = IntToStatus(r.Int(i, 9));
      rec.reason = r.String(i, 10);
      rec.frame.encrypted = r.Text(i, 11) == "t";
      rec.values_json = r.String(i, 12);
      out.push_back(std::move(rec));
    }
    return Status::Ok();
  }));
  return out;
}

}  // namespace telecollect::store
