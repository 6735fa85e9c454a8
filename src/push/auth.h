#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"
#include "core/mutex.h"
#include "core/model.h"
#include "store/store.h"

namespace telecollect::push {

// An admin token's scope: no tenant's (no data is stored under it), so that it
// passes only the admin routes and a tenant token never passes those. Made by
// `telecollect token create --admin`; its env is not used.
inline constexpr std::string_view kAdminTenant = "*";
inline bool IsAdminScope(const Scope& scope) { return scope.tenant == kAdminTenant; }

// Extracts the token from an Authorization header:
//   "Basic <token>"                      (raw token, as in the brief)
//   "Basic base64(user:token)" / "Basic base64(token:)"
//   "Bearer <token>"
// kUnauthenticated when absent or malformed.
Result<std::string> TokenFromAuthorization(std::string_view header);

// Resolves a token to its scope. Tokens are looked up by SHA-256 and the
// hash compared in constant time; a found token is cached for `cache_ttl_ms`
// (so a revocation takes effect within that delay). Thread-safe.
class Authenticator {
 public:
  Authenticator(store::Store& store, const Clock& clock, int64_t cache_ttl_ms)
      : store_(store), clock_(clock), ttl_ms_(cache_ttl_ms) {}

  // kUnauthenticated for a missing, unknown or revoked token; kUnavailable
  // when the store cannot answer.
  Result<Scope> Authenticate(std::string_view authorization_header) TC_EXCLUDES(mu_);

 private:
  struct Entry {
    TokenHash hash;
    Scope scope;
    bool revoked = false;
    EpochMs expires = 0;
  };

  store::Store& store_;
  const Clock& clock_;
  const int64_t ttl_ms_;
  Mutex mu_;
  std::unordered_map<std::string, Entry> cache_ TC_GUARDED_BY(mu_);  // key: raw hash bytes
};

}  // namespace telecollect::push
