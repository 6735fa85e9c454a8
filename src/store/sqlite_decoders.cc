// SqliteStore: decoder versions uploaded per scope (decoder lifecycle).
#include "store/sqlite_store.h"
#include "store/sqlite_store_internal.h"

namespace telecollect::store {

Status SqliteStore::PutDecoderVersion(const DecoderVersion& v) {
  MutexLock lock(write_mu_);
  TC_RETURN_IF_ERROR(InTransaction([&]() TC_REQUIRES(write_mu_) -> Status {
    TC_ASSIGN_OR_RETURN(int64_t scope_id, ScopeId(v.scope));
    Stmt find(writer_.get(),
              "SELECT spec, script FROM decoder_versions WHERE scope_id = ?1 AND device_type = ?2 AND version = ?3");
    find.Bind(1, scope_id).Bind(2, v.device_type).Bind(3, v.version);
    TC_ASSIGN_OR_RETURN(bool row, find.Step());
    if (row) {
      if (find.Text(0) == v.spec && find.Text(1) == v.script) return Status::Ok();  // the same upload again
      return Status::AlreadyExists(v.device_type + " version " + v.version + " already exists with other content " +
                                   "(give the new one another version)");
    }
    Stmt put(writer_.get(),
             "INSERT INTO decoder_versions(scope_id, device_type, version, spec, script, uploaded_ms) "
             "VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
    put.Bind(1, scope_id).Bind(2, v.device_type).Bind(3, v.version).Bind(4, v.spec).Bind(5, v.script)
        .Bind(6, v.uploaded_at);
    return put.Run();
  }));
  return Sync();
}

Result<std::vector<DecoderVersion>> SqliteStore::ListDecoderVersions(const std::optional<Scope>& scope,
                                                                     const std::string& device_type, bool active_only) {
  TC_ASSIGN_OR_RETURN(ReadLease lease, AcquireReader());
  Stmt q(lease.get(),
         "SELECT s.tenant, s.env, d.device_type, d.version, d.spec, d.script, d.uploaded_ms, d.activated_ms "
         "FROM decoder_versions d JOIN scopes s ON s.id = d.scope_id "
         "WHERE (?1 = '' OR (s.tenant = ?1 AND s.env = ?2)) AND (?3 = '' OR d.device_type = ?3) "
         "AND (?4 = 0 OR d.activated_ms IS NOT NULL) "
         "ORDER BY s.tenant, s.env, d.device_type, d.uploaded_ms, d.version");
  q.Bind(1, scope ? std::string_view(scope->tenant) : std::string_view())
      .Bind(2, std::string_view(scope ? EnvName(scope->env) : ""))
      .Bind(3, device_type)
      .Bind(4, active_only ? 1 : 0);
  std::vector<DecoderVersion> out;
  while (true) {
    TC_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    DecoderVersion v;
    v.scope.tenant = q.Text(0);
    auto env = ParseEnv(q.Text(1));
    if (!env.ok()) return env.status();
    v.scope.env = *env;
    v.device_type = q.Text(2);
    v.version = q.Text(3);
    v.spec = q.Text(4);
    v.script = q.Text(5);
    v.uploaded_at = q.Int(6);
    if (!q.IsNull(7)) v.activated_at = q.Int(7);
    out.push_back(std::move(v));
  }
  return out;
}

Status SqliteStore::ActivateDecoderVersion(const Scope& scope, const std::string& device_type,
                                           const std::string& version, EpochMs now) {
  MutexLock lock(write_mu_);
  TC_RETURN_IF_ERROR(InTransaction([&]() TC_REQUIRES(write_mu_) -> Status {
    TC_ASSIGN_OR_RETURN(int64_t scope_id, ScopeId(scope));
    if (!version.empty()) {
      Stmt find(writer_.get(), "SELECT 1 FROM decoder_versions WHERE scope_id = ?1 AND device_type = ?2 AND version = ?3");
      find.Bind(1, scope_id).Bind(2, device_type).Bind(3, version);
      TC_ASSIGN_OR_RETURN(bool row, find.Step());
      if (!row) return Status::NotFound("no uploaded version " + version + " of " + device_type + " in this scope");
    }
    Stmt off(writer_.get(),
             "UPDATE decoder_versions SET activated_ms = NULL WHERE scope_id = ?1 AND device_type = ?2 AND version <> ?3");
    off.Bind(1, scope_id).Bind(2, device_type).Bind(3, version);
    TC_RETURN_IF_ERROR(off.Run());
    if (version.empty()) return Status::Ok();
    Stmt on(writer_.get(),
            "UPDATE decoder_versions SET activated_ms = coalesce(activated_ms, ?4) "
            "WHERE scope_id = ?1 AND device_type = ?2 AND version = ?3");
    on.Bind(1, scope_id).Bind(2, device_type).Bind(3, version).Bind(4, now);
    return on.Run();
  }));
  return Sync();
}

Status SqliteStore::PutTypeAlias(const TypeAlias& a) {
  MutexLock lock(write_mu_);
  TC_RETURN_IF_ERROR(InTransaction([&]() TC_REQUIRES(write_mu_) -> Status {
    TC_ASSIGN_OR_RETURN(int64_t scope_id, ScopeId(a.scope));
    if (a.device_type.empty()) {
      Stmt del(writer_.get(), "DELETE FROM type_aliases WHERE scope_id = ?1 AND alias = ?2");
      del.Bind(1, scope_id).Bind(2, a.alias);
      return del.Run();
    }
    Stmt put(writer_.get(),
             "INSERT INTO type_aliases(scope_id, alias, device_type) VALUES(?1, ?2, ?3) "
             "ON CONFLICT(scope_id, alias) DO UPDATE SET device_type = excluded.device_type");
    put.Bind(1, scope_id).Bind(2, a.alias).Bind(3, a.device_type);
    return put.Run();
  }));
  return Sync();
}

Result<std::vector<TypeAlias>> SqliteStore::ListTypeAliases(const std::optional<Scope>& scope) {
  TC_ASSIGN_OR_RETURN(ReadLease lease, AcquireReader());
  Stmt q(lease.get(),
         "SELECT s.tenant, s.env, a.alias, a.device_type FROM type_aliases a JOIN scopes s ON s.id = a.scope_id "
         "WHERE ?1 = '' OR (s.tenant = ?1 AND s.env = ?2) ORDER BY s.tenant, s.env, a.alias");
  q.Bind(1, scope ? std::string_view(scope->tenant) : std::string_view())
      .Bind(2, std::string_view(scope ? EnvName(scope->env) : ""));
  std::vector<TypeAlias> out;
  while (true) {
    TC_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    TypeAlias a;
    a.scope.tenant = q.Text(0);
    auto env = ParseEnv(q.Text(1));
    if (!env.ok()) return env.status();
    a.scope.env = *env;
    a.alias = q.Text(2);
    a.device_type = q.Text(3);
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace telecollect::store
