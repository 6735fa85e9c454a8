#include "server/admin_api.h"

#include "core/json_writer.h"
#include "core/time_util.h"
#include "core/token.h"
#include "push/auth.h"
#include "push/json_batch.h"
#include "push/json_fields.h"
#include "server/json_error.h"

namespace telecollect::server {
namespace {

HttpResponse JsonAnswer(int status, std::string body) { return {status, "application/json", std::move(body), {}}; }

void WriteToken(JsonWriter& w, const store::TokenRecord& t) {
  w.BeginObject().Key("id").Int(t.id).Key("fingerprint").String(TokenFingerprint(t.hash))
      .Key("tenant").String(t.scope.tenant).Key("env").String(push::IsAdminScope(t.scope) ? "admin" : EnvName(t.scope.env))
      .Key("label").String(t.label).Key("created_at").String(FormatIso8601(t.created_at)).Key("revoked_at");
  if (t.revoked_at) w.String(FormatIso8601(*t.revoked_at));
  else w.Null();
  w.EndObject();
}

}  // namespace

HttpResponse AdminApi::ListTokens(const std::string& tenant) const {
  auto tokens = store.ListTokens(tenant.empty() ? std::nullopt : std::optional<std::string>(tenant));
  if (!tokens.ok()) return StatusError(tokens.status());
  JsonWriter w;
  w.BeginObject().Key("tokens").BeginArray();
  for (const auto& t : *tokens) WriteToken(w, t);
  w.EndArray().EndObject();
  return JsonAnswer(200, w.Take());
}

HttpResponse AdminApi::CreateToken(const std::string& body) const {
  Scope scope;
  std::string label;
  push::PushRequest req;
  req.body = body;
  req.max_items = 1;
  auto err = push::ForEachJsonItem(req, [&](size_t index, simdjson::dom::element item) {
    push::ItemReader r(index, item);
    auto tenant = r.String("tenant");
    auto env = r.String("env");
    label = r.String("label").value_or("");
    if (r.Require(tenant, "tenant") && r.Require(env, "env")) {
      if (tenant->empty() || *tenant == push::kAdminTenant) {
        r.Fail("tenant", "must name a tenant (admin tokens are made with `telecollect token create --admin`)");
      }
      auto e = ParseEnv(*env);
      if (!e.ok()) r.Fail("env", e.status().message());
      if (!r.error()) scope = Scope{*tenant, *e};
    }
    return r.error();
  });
  if (err) return JsonAnswer(400, push::ErrorJson(err->ToString()));
  const std::string token = GenerateToken(EnvName(scope.env));
  store::TokenRecord rec{0, scope, label, HashToken(token), clock.NowMs(), {}};
  auto id = store.CreateToken(rec);
  if (!id.ok()) return StatusError(id.status());
  rec.id = *id;
  JsonWriter w;
  w.BeginObject().Key("token").String(token).Key("record");
  WriteToken(w, rec);
  w.EndObject();
  return JsonAnswer(201, w.Take());
}

HttpResponse AdminApi::RevokeToken(const std::string& id_or_fingerprint) const {
  Status s = store.RevokeToken(id_or_fingerprint, clock.NowMs());
  if (!s.ok()) return StatusError(s);
  JsonWriter w;
  w.BeginObject().Key("revoked").String(id_or_fingerprint).EndObject();
  return JsonAnswer(200, w.Take());
}

}  // namespace telecollect::server
