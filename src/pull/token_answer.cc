#include "pull/token_answer.h"

#include <algorithm>
#include <cstdlib>

#include <simdjson.h>

namespace telecollect::pull {

Result<OAuthToken> ReadTokenAnswer(int status, std::string_view body, const std::string& endpoint) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const bool json = parser.parse(body.data(), body.size()).get(doc) == simdjson::SUCCESS && doc.is_object();
  if (status < 200 || status >= 300) {
    std::string why;
    std::string_view err, desc;
    if (json && doc["error"].get(err) == simdjson::SUCCESS) why = std::string(err);
    if (json && doc["error_description"].get(desc) == simdjson::SUCCESS) why += (why.empty() ? "" : ": ") + std::string(desc);
    return Status::Unauthenticated("token endpoint " + endpoint + " answered " + std::to_string(status) +
                                   (why.empty() ? "" : " (" + why + ")"));
  }
  std::string_view token;
  if (!json || doc["access_token"].get(token) != simdjson::SUCCESS || token.empty())
    return Status::Unauthenticated("token endpoint " + endpoint + " answered without an access_token");
  OAuthToken out;
  out.access_token = std::string(token);
  simdjson::dom::element e;
  if (doc["expires_in"].get(e) == simdjson::SUCCESS) {
    int64_t v = 0;
    std::string_view s;
    if (e.get_int64().get(v) == simdjson::SUCCESS) out.expires_in_s = v;
    else if (e.get_string().get(s) == simdjson::SUCCESS) out.expires_in_s = std::atoll(std::string(s).c_str());
  }
  out.expires_in_s = std::clamp<int64_t>(out.expires_in_s, 0, kMaxTokenLifetimeS);
  std::string_view refresh;
  if (doc["refresh_token"].get(refresh) == simdjson::SUCCESS) out.refresh_token = std::string(refresh);
  return out;
}

}  // namespace telecollect::pull
