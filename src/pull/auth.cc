#include "pull/auth.h"

#include <map>

#include "core/mutex.h"
#include "pull/stored_token.h"
#include "pull/token_answer.h"

namespace telecollect::pull {
namespace {

struct CachedToken {
  std::string value;
  EpochMs expires = 0;
};

// Access tokens by connector name (and token URL + client, so a changed
// config does not reuse another's token), for the whole process.
struct TokenCache {
  Mutex mu;
  std::map<std::string, CachedToken> tokens TC_GUARDED_BY(mu);
};
TokenCache& Cache() {
  static TokenCache cache;
  return cache;
}

std::string CacheKey(const ApiConnector& c) { return c.name + '\n' + c.auth.token_url + '\n' + c.auth.client_id; }

constexpr int64_t kExpiryMarginMs = 60000;

}  // namespace

Status Authorizer::Apply(HttpRequest& req, int64_t& requests) {
  const AuthConfig& a = c_.auth;
  auto secret = [&](const char* k) { return a.secrets.count(k) ? a.secrets.at(k) : std::string(); };
  switch (a.kind) {
    case AuthConfig::Kind::kNone: return Status::Ok();
    case AuthConfig::Kind::kApiKey:
      if (!a.param.empty()) {
        req.url += (req.url.find('?') == std::string::npos ? "?" : "&") + UrlEncode(a.param) + "=" + UrlEncode(secret("api_key"));
      } else {
        req.headers.emplace_back(a.header, secret("api_key"));
      }
      return Status::Ok();
    case AuthConfig::Kind::kBasic:
      req.basic_user = a.user;
      req.basic_password = secret("password");
      return Status::Ok();
    case AuthConfig::Kind::kBearer:
      req.headers.emplace_back("Authorization", "Bearer " + secret("token"));
      return Status::Ok();
    case AuthConfig::Kind::kOAuth2ClientCredentials:
    case AuthConfig::Kind::kOAuth2RefreshToken: {
      TC_ASSIGN_OR_RETURN(std::string token, AccessToken(requests));
      req.headers.emplace_back("Authorization", "Bearer " + token);
      return Status::Ok();
    }
  }
  return Status::Ok();
}

bool Authorizer::Invalidate() {
  if (c_.auth.kind != AuthConfig::Kind::kOAuth2ClientCredentials && c_.auth.kind != AuthConfig::Kind::kOAuth2RefreshToken)
    return false;
  TokenCache& cache = Cache();
  MutexLock lock(cache.mu);
  cache.tokens.erase(CacheKey(c_));
  return true;
}

Result<std::string> Authorizer::AccessToken(int64_t& requests) {
  TokenCache& cache = Cache();
  {
    MutexLock lock(cache.mu);
    auto it = cache.tokens.find(CacheKey(c_));
    if (it != cache.tokens.end() && clock_.NowMs() < it->second.expires) return it->second.value;
  }
  TC_RETURN_IF_ERROR(FetchToken(requests));
  MutexLock lock(cache.mu);
  return cache.tokens[CacheKey(c_)].value;
}

Status Authorizer::FetchToken(int64_t& requests) {
  const AuthConfig& a = c_.auth;
  const bool refresh = a.kind == AuthConfig::Kind::kOAuth2RefreshToken;
  std::string refresh_token;
  if (refresh) {
    TC_ASSIGN_OR_RETURN(std::optional<std::string> saved, LoadRefreshToken(store_, c_));
    refresh_token = saved ? *saved : a.secrets.at("refresh_token");
  }
  HttpRequest req;
  req.method = "POST";
  req.url = a.token_url;
  req.timeout_ms = c_.limits.timeout_ms;
  req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  req.headers.emplace_back("Accept", "application/json");
  std::map<std::string, std::string> form = a.token_params;
  form["grant_type"] = refresh ? "refresh_token" : "client_credentials";
  if (refresh) form["refresh_token"] = refresh_token;
  if (!a.scope.empty()) form["scope"] = a.scope;
  if (a.client_basic) {
    req.basic_user = a.client_id;
    req.basic_password = a.secrets.at("client_secret");
  } else {
    form["client_id"] = a.client_id;
    form["client_secret"] = a.secrets.at("client_secret");
  }
  for (const auto& [k, v] : form) req.body += (req.body.empty() ? "" : "&") + UrlEncode(k) + "=" + UrlEncode(v);
  ++requests;
  TC_ASSIGN_OR_RETURN(HttpResponse resp, HttpExchange(req, c_.tls));
  TC_ASSIGN_OR_RETURN(OAuthToken answer, ReadTokenAnswer(resp.status, resp.body, RedactUrl(a.token_url)));
  if (refresh && !answer.refresh_token.empty() && answer.refresh_token != refresh_token) {
    // Saved before use: losing a rotated refresh token loses the consent.
    TC_RETURN_IF_ERROR(SaveRefreshToken(store_, c_, answer.refresh_token));
  }
  const int64_t expires_in = answer.expires_in_s;
  TokenCache& cache = Cache();
  MutexLock lock(cache.mu);
  CachedToken& t = cache.tokens[CacheKey(c_)];
  t.value = std::move(answer.access_token);
  t.expires = clock_.NowMs() + std::max<int64_t>(expires_in * 1000 - kExpiryMarginMs, expires_in * 500);
  return Status::Ok();
}

}  // namespace telecollect::pull
