#pragma once

#include <string>

#include "core/clock.h"
#include "core/model.h"
#include "server/http_types.h"
#include "store/store.h"

namespace telecollect::server {

// The admin routes (Auth::kAdmin: an admin token, `telecollect token create
// --admin`): the tokens of every tenant, as the CLI's `token` commands.
//   GET    /v1/admin/tokens[?tenant=]   fingerprints, never the tokens
//   POST   /v1/admin/tokens             body {"tenant", "env", "label"}: a tenant token, shown once (201)
//   DELETE /v1/admin/tokens/{id}        revoke by id or fingerprint
// Admin tokens themselves are made with the CLI only, on the server's machine.
struct AdminApi {
  store::Store& store;
  const Clock& clock;

  HttpResponse ListTokens(const std::string& tenant) const;
  HttpResponse CreateToken(const std::string& body) const;
  HttpResponse RevokeToken(const std::string& id_or_fingerprint) const;
};

}  // namespace telecollect::server
