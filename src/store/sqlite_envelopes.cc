// SqliteStore: platform envelopes uploaded per scope (push/envelope_catalog.h).
#include "store/sqlite_store.h"
#include "store/sqlite_store_internal.h"

namespace telecollect::store {

Status SqliteStore::PutEnvelopeVersion(const EnvelopeVersion& v) {
  MutexLock lock(write_mu_);
  TC_RETURN_IF_ERROR(InTransaction([&]() TC_REQUIRES(write_mu_) -> Status {
    TC_ASSIGN_OR_RETURN(int64_t scope_id, ScopeId(v.scope));
    Stmt find(writer_.get(), "SELECT spec FROM envelope_versions WHERE scope_id = ?1 AND name = ?2 AND version = ?3");
    find.Bind(1, scope_id).Bind(2, v.name).Bind(3, v.version);
    TC_ASSIGN_OR_RETURN(bool row, find.Step());
    if (row) {
      if (find.Text(0) == v.spec) return Status::Ok();  // the same upload again
      return Status::AlreadyExists("envelope " + v.name + " version " + v.version +
                                   " already exists with other content (give the new one another version)");
    }
    Stmt put(writer_.get(),
             "INSERT INTO envelope_versions(scope_id, name, version, spec, uploaded_ms) VALUES(?1, ?2, ?3, ?4, ?5)");
    put.Bind(1, scope_id).Bind(2, v.name).Bind(3, v.version).Bind(4, v.spec).Bind(5, v.uploaded_at);
    return put.Run();
  }));
  return Sync();
}

Result<std::vector<EnvelopeVersion>> SqliteStore::ListEnvelopeVersions(const std::optional<Scope>& scope,
                                                                       const std::string& name, bool active_only) {
  TC_ASSIGN_OR_RETURN(ReadLease lease, AcquireReader());
  Stmt q(lease.get(),
         "SELECT s.tenant, s.env, e.name, e.version, e.spec, e.uploaded_ms, e.activated_ms "
         "FROM envelope_versions e JOIN scopes s ON s.id = e.scope_id "
         "WHERE (?1 = '' OR (s.tenant = ?1 AND s.env = ?2)) AND (?3 = '' OR e.name = ?3) "
         "AND (?4 = 0 OR e.activated_ms IS NOT NULL) "
         "ORDER BY s.tenant, s.env, e.name, e.uploaded_ms, e.version");
  q.Bind(1, scope ? std::string_view(scope->tenant) : std::string_view())
      .Bind(2, std::string_view(scope ? EnvName(scope->env) : ""))
      .Bind(3, name)
      .Bind(4, active_only ? 1 : 0);
  std::vector<EnvelopeVersion> out;
  while (true) {
    TC_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    EnvelopeVersion v;
    v.scope.tenant = q.Text(0);
    auto env = ParseEnv(q.Text(1));
    if (!env.ok()) return env.status();
    v.scope.env = *env;
    v.name = q.Text(2);
    v.version = q.Text(3);
    v.spec = q.Text(4);
    v.uploaded_at = q.Int(5);
    if (!q.IsNull(6)) v.activated_at = q.Int(6);
    out.push_back(std::move(v));
  }
  return out;
}

Status SqliteStore::ActivateEnvelopeVersion(const Scope& scope, const std::string& name, const std::string& version,
                                            EpochMs now) {
  MutexLock lock(write_mu_);
  TC_RETURN_IF_ERROR(InTransaction([&]() TC_REQUIRES(write_mu_) -> Status {
    TC_ASSIGN_OR_RETURN(int64_t scope_id, ScopeId(scope));
    if (!version.empty()) {
      Stmt find(writer_.get(), "SELECT 1 FROM envelope_versions WHERE scope_id = ?1 AND name = ?2 AND version = ?3");
      find.Bind(1, scope_id).Bind(2, name).Bind(3, version);
      TC_ASSIGN_OR_RETURN(bool row, find.Step());
      if (!row) return Status::NotFound("no uploaded version " + version + " of envelope " + name + " in this scope");
    }
    Stmt off(writer_.get(),
             "UPDATE envelope_versions SET activated_ms = NULL WHERE scope_id = ?1 AND name = ?2 AND version <> ?3");
    off.Bind(1, scope_id).Bind(2, name).Bind(3, version);
    TC_RETURN_IF_ERROR(off.Run());
    if (version.empty()) return Status::Ok();
    Stmt on(writer_.get(),
            "UPDATE envelope_versions SET activated_ms = coalesce(activated_ms, ?4) "
            "WHERE scope_id = ?1 AND name = ?2 AND version = ?3");
    on.Bind(1, scope_id).Bind(2, name).Bind(3, version).Bind(4, now);
    return on.Run();
  }));
  return Sync();
}

}  // namespace telecollect::store
