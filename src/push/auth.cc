#include "push/auth.h"

#include "core/ascii.h"
#include "core/hex.h"

namespace telecollect::push {
namespace {

constexpr size_t kMaxCacheEntries = 100000;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool Printable(const Bytes& b) {
  for (uint8_t c : b) {
    if (c < 0x20 || c > 0x7E) return false;
  }
  return true;
}

}  // namespace

Result<std::string> TokenFromAuthorization(std::string_view header) {
  header = Trim(header);
  if (header.empty()) return Status::Unauthenticated("missing Authorization header (Basic <token> or Bearer <token>)");
  std::string_view cred;
  bool basic = false;
  if (AsciiStartsWithIgnoreCase(header, "bearer ")) {
    cred = Trim(header.substr(7));
  } else if (AsciiStartsWithIgnoreCase(header, "basic ")) {
    cred = Trim(header.substr(6));
    basic = true;
  } else {
    return Status::Unauthenticated("Authorization must be \"Basic <token>\" or \"Bearer <token>\"");
  }
  if (cred.empty()) return Status::Unauthenticated("Authorization has no token");
  if (basic && cred.substr(0, 3) != "tc_") {
    // RFC 7617 form: base64(user:password); the token is the password, or the
    // user when the password is empty.
    auto decoded = DecodeBase64(cred);
    if (decoded.ok() && Printable(*decoded)) {
      std::string text(decoded->begin(), decoded->end());
      const size_t colon = text.find(':');
      if (colon != std::string::npos) {
        std::string user = text.substr(0, colon), pass = text.substr(colon + 1);
        std::string token = pass.empty() ? user : pass;
        if (token.empty()) return Status::Unauthenticated("Authorization has no token");
        return token;
      }
    }
  }
  return std::string(cred);
}

Result<Scope> Authenticator::Authenticate(std::string_view header) {
  TC_ASSIGN_OR_RETURN(std::string token, TokenFromAuthorization(header));
  const TokenHash hash = HashToken(token);
  const std::string key(reinterpret_cast<const char*>(hash.data()), hash.size());
  const EpochMs now = clock_.NowMs();
  {
    MutexLock lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && it->second.expires > now && TokenHashEquals(it->second.hash, hash)) {
      if (it->second.revoked) return Status::Unauthenticated("token revoked");
      return it->second.scope;
    }
  }
  auto found = store_.FindToken(hash);
  if (!found.ok()) return Status::Unavailable("token lookup failed: " + found.status().message());
  if (!found->has_value() || !TokenHashEquals((*found)->hash, hash)) {
    return Status::Unauthenticated("unknown token");
  }
  const store::TokenRecord& rec = **found;
  Entry e{hash, rec.scope, rec.revoked_at.has_value(), now + ttl_ms_};
  {
    MutexLock lock(mu_);
    if (cache_.size() >= kMaxCacheEntries) cache_.clear();
    cache_[key] = e;
  }
  if (e.revoked) return Status::Unauthenticated("token revoked");
  return rec.scope;
}

}  // namespace telecollect::push
