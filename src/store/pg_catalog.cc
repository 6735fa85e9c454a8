// PgStore: decoder versions and type aliases (decoder lifecycle), envelope versions.
#include "store/pg_store_internal.h"

namespace telecollect::store {
namespace {

// $1, $2: the tenant and env of `scope`, or '' for every scope.
PgParams ScopeFilter(const std::optional<Scope>& scope) {
  PgParams p;
  p.Add(std::string_view(scope ? scope->tenant : std::string()));
  p.Add(std::string_view(scope ? EnvName(scope->env) : ""));
  return p;
}

}  // namespace

Status PgStore::PutDecoderVersion(const DecoderVersion& v) {
  return InTransaction([&](Tx& tx) -> Status {
    TC_ASSIGN_OR_RETURN(int64_t scope_id, tx.ScopeId(v.scope));
    // Two nodes uploading one version at once: the second waits for the first
    // and compares with what it wrote.
    TC_ASSIGN_OR_RETURN(PgResult ins,
                        tx.Exec("INSERT INTO decoder_versions(scope_id, device_type, version, spec, script, uploaded_ms) "
                                "VALUES($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING 1",
                                PgParams().Add(scope_id).Add(v.device_type).Add(v.version).Add(v.spec).Add(v.script)
                                    .Add(v.uploaded_at)));
    if (ins.rows() == 1) return Status::Ok();
    TC_ASSIGN_OR_RETURN(PgResult found,
                        tx.Exec("SELECT spec, script FROM decoder_versions WHERE scope_id = $1 AND device_type = $2 "
                                "AND version = $3",
                                PgParams().Add(scope_id).Add(v.device_type).Add(v.version)));
    if (found.rows() == 1 && found.Text(0, 0) == v.spec && found.Text(0, 1) == v.script) return Status::Ok();
    return Status::AlreadyExists(v.device_type + " version " + v.version + " already exists with other content " +
                                 "(give the new one another version)");
  });
}

Result<std::vector<DecoderVersion>> PgStore::ListDecoderVersions(const std::optional<Scope>& scope,
                                                                 const std::string& device_type, bool active_only) {
  std::vector<DecoderVersion> out;
  PgParams p = ScopeFilter(scope);
  p.Add(device_type).Add(active_only ? 1 : 0);
  TC_RETURN_IF_ERROR(Read([&](PGconn* db) -> Status {
    TC_ASSIGN_OR_RETURN(
        out,
        CollectRows<DecoderVersion>(db,
               "SELECT s.tenant, s.env, d.device_type, d.version, d.spec, d.script, d.uploaded_ms, d.activated_ms "
               "FROM decoder_versions d JOIN scopes s ON s.id = d.scope_id "
               "WHERE ($1 = '' OR (s.tenant = $1 AND s.env = $2)) AND ($3 = '' OR d.device_type = $3) "
               "AND ($4 = 0 OR d.activated_ms IS NOT NULL) "
               "ORDER BY s.tenant COLLATE \"C\", s.env, d.device_type COLLATE \"C\", d.uploaded_ms, "
               "d.version COLLATE \"C\"",
               p, [](const PgResult& r, int i) {
                 DecoderVersion v{ScopeFromRow(r, i, 0, 1), r.String(i, 2), r.String(i, 3), r.String(i, 4),
                                  r.String(i, 5), r.Int(i, 6), {}};
                 if (!r.IsNull(i, 7)) v.activated_at = r.Int(i, 7);
                 return v;
               }));
    return Status::Ok();
  }));
  return out;
}

Status PgStore::ActivateDecoderVersion(const Scope& scope, const std::string& device_type, const std::string& version,
                                       EpochMs now) {
  return InTransaction([&](Tx& tx) -> Status {
    TC_ASSIGN_OR_RETURN(int64_t scope_id, tx.ScopeId(scope));
    if (!version.empty()) {
      // Locks the row: two activations of one device type are applied one after the other.
      TC_ASSIGN_OR_RETURN(PgResult found,
                          tx.Exec("SELECT 1 FROM decoder_versions WHERE scope_id = $1 AND device_type = $2 AND "
                                  "version = $3 FOR UPDATE",
                                  PgParams().Add(scope_id).Add(device_type).Add(version)));
      if (found.rows() == 0) return Status::NotFound("no uploaded version " + version + " of " + device_type + " in this scope");
    }
    TC_RETURN_IF_ERROR(tx.Exec("UPDATE decoder_versions SET activated_ms = NULL WHERE scope_id = $1 AND "
                               "device_type = $2 AND version <> $3",
                               PgParams().Add(scope_id).Add(device_type).Add(version))
                           .status());
    if (version.empty()) return Status::Ok();
    return tx
        .Exec("UPDATE decoder_versions SET activated_ms = coalesce(activated_ms, $4) WHERE scope_id = $1 AND "
              "device_type = $2 AND version = $3",
              PgParams().Add(scope_id).Add(device_type).Add(version).Add(now))
        .status();
  });
}

Status PgStore::PutEnvelopeVersion(const EnvelopeVersion& v) {
  return InTransaction([&](Tx& tx) -> Status {
    TC_ASSIGN_OR_RETURN(int64_t scope_id, tx.ScopeId(v.scope));
    TC_ASSIGN_OR_RETURN(PgResult ins,
                        tx.Exec("INSERT INTO envelope_versions(scope_id, name, version, spec, uploaded_ms) "
                                "VALUES($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1",
                                PgParams().Add(scope_id).Add(v.name).Add(v.version).Add(v.spec).Add(v.uploaded_at)));
    if (ins.rows() == 1) return Status::Ok();
    TC_ASSIGN_OR_RETURN(PgResult found,
                        tx.Exec("SELECT spec FROM envelope_versions WHERE scope_id = $1 AND name = $2 AND version = $3",
                                PgParams().Add(scope_id).Add(v.name).Add(v.version)));
    if (found.rows() == 1 && found.Text(0, 0) == v.spec) return Status::Ok();
    return Status::AlreadyExists("envelope " + v.name + " version " + v.version +
                                 " already exists with other content (give the new one another version)");
  });
}

Result<std::vector<EnvelopeVersion>> PgStore::ListEnvelopeVersions(const std::optional<Scope>& scope,
                                                                   const std::string& name, bool active_only) {
  std::vector<EnvelopeVersion> out;
  PgParams p = ScopeFilter(scope);
  p.Add(name).Add(active_only ? 1 : 0);
  TC_RETURN_IF_ERROR(Read([&](PGconn* db) -> Status {
    TC_ASSIGN_OR_RETURN(
        out, CollectRows<EnvelopeVersion>(
                 db,
                 "SELECT s.tenant, s.env, e.name, e.version, e.spec, e.uploaded_ms, e.activated_ms "
                 "FROM envelope_versions e JOIN scopes s ON s.id = e.scope_id "
                 "WHERE ($1 = '' OR (s.tenant = $1 AND s.env = $2)) AND ($3 = '' OR e.name = $3) "
                 "AND ($4 = 0 OR e.activated_ms IS NOT NULL) "
                 "ORDER BY s.tenant COLLATE \"C\", s.env, e.name COLLATE \"C\", e.uploaded_ms, e.version COLLATE \"C\"",
                 p, [](const PgResult& r, int i) {
                   EnvelopeVersion v{ScopeFromRow(r, i, 0, 1), r.String(i, 2), r.String(i, 3), r.String(i, 4),
                                     r.Int(i, 5), {}};
                   if (!r.IsNull(i, 6)) v.activated_at = r.Int(i, 6);
                   return v;
                 }));
    return Status::Ok();
  }));
  return out;
}

Status PgStore::ActivateEnvelopeVersion(const Scope& scope, const std::string& name, const std::string& version,
                                        EpochMs now) {
  return InTransaction([&](Tx& tx) -> Status {
    TC_ASSIGN_OR_RETURN(int64_t scope_id, tx.ScopeId(scope));
    if (!version.empty()) {
      // Locks the row: two activations of one envelope are applied one after the other.
      TC_ASSIGN_OR_RETURN(PgResult found,
                          tx.Exec("SELECT 1 FROM envelope_versions WHERE scope_id = $1 AND name = $2 AND version = $3 "
                                  "FOR UPDATE",
                                  PgParams().Add(scope_id).Add(name).Add(version)));
      if (found.rows() == 0) return Status::NotFound("no uploaded version " + version + " of envelope " + name + " in this scope");
    }
    TC_RETURN_IF_ERROR(tx.Exec("UPDATE envelope_versions SET activated_ms = NULL WHERE scope_id = $1 AND name = $2 "
                               "AND version <> $3",
                               PgParams().Add(scope_id).Add(name).Add(version))
                           .status());
    if (version.empty()) return Status::Ok();
    return tx
        .Exec("UPDATE envelope_versions SET activated_ms = coalesce(activated_ms, $4) WHERE scope_id = $1 AND "
              "name = $2 AND version = $3",
              PgParams().Add(scope_id).Add(name).Add(version).Add(now))
        .status();
  });
}

Status PgStore::PutTypeAlias(const TypeAlias& a) {
  return InTransaction([&](Tx& tx) -> Status {
    TC_ASSIGN_OR_RETURN(int64_t scope_id, tx.ScopeId(a.scope));
    if (a.device_type.empty()) {
      return tx.Exec("DELETE FROM type_aliases WHERE scope_id = $1 AND alias = $2", PgParams().Add(scope_id).Add(a.alias))
          .status();
    }
    return tx
        .Exec("INSERT INTO type_aliases(scope_id, alias, device_type) VALUES($1, $2, $3) ON CONFLICT (scope_id, alias) "
              "DO UPDATE SET device_type = excluded.device_type",
              PgParams().Add(scope_id).Add(a.alias).Add(a.device_type))
        .status();
  });
}

Result<std::vector<TypeAlias>> PgStore::ListTypeAliases(const std::optional<Scope>& scope) {
  std::vector<TypeAlias> out;
  const PgParams p = ScopeFilter(scope);
  TC_RETURN_IF_ERROR(Read([&](PGconn* db) -> Status {
    TC_ASSIGN_OR_RETURN(out,
                        CollectRows<TypeAlias>(db,
                               "SELECT s.tenant, s.env, a.alias, a.device_type FROM type_aliases a JOIN scopes s ON "
                               "s.id = a.scope_id WHERE $1 = '' OR (s.tenant = $1 AND s.env = $2) "
                               "ORDER BY s.tenant COLLATE \"C\", s.env, a.alias COLLATE \"C\"",
                               p, [](const PgResult& r, int i) {
                                 return TypeAlias{ScopeFromRow(r, i, 0, 1), r.String(i, 2), r.String(i, 3)};
                               }));
    return Status::Ok();
  }));
  return out;
}

}  // namespace telecollect::store
