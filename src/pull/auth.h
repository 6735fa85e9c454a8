#pragma once

#include <string>

#include "core/clock.h"
#include "core/status.h"
#include "pull/api_connector.h"
#include "pull/http_client.h"
#include "store/store.h"

namespace telecollect::pull {

// Puts a connector's credentials on its requests. OAuth2 access tokens are
// cached per connector in this process until shortly before they expire, and
// fetched again once after a 401. A refresh token the server rotates is saved
// in the store at once, sealed (pull/stored_token.h), so a restart uses the
// newest one. Secrets never appear in errors.
class Authorizer {
 public:
  Authorizer(const ApiConnector& connector, store::Store& store, const Clock& clock)
      : c_(connector), store_(store), clock_(clock) {}

  // Adds the credentials; may call the token endpoint (counted in `requests`).
  Status Apply(HttpRequest& request, int64_t& requests);
  // After a 401: drops the cached token. True if a new one could help.
  bool Invalidate();

 private:
  Result<std::string> AccessToken(int64_t& requests);
  Status FetchToken(int64_t& requests);

  const ApiConnector& c_;
  store::Store& store_;
  const Clock& clock_;
};

}  // namespace telecollect::pull
