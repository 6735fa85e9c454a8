#pragma once

#include <map>
#include <string>

#include "core/clock.h"
#include "core/model.h"
#include "decode/registry.h"
#include "server/http_types.h"
#include "store/store.h"

namespace telecollect::server {

// The decoder lifecycle over HTTP, bounded by the token's tenant and env
// (docs/decoders.md, "Decoder versions"):
//   GET  /v1/devicetypes/{t}/versions
//   POST /v1/devicetypes/{t}/versions[?activate=true]   body: the spec (TOML), or
//        multipart/form-data with parts "spec" and "script" (a script decoder)
//   POST /v1/devicetypes/{t}/versions/{v}/activate
//   POST /v1/devicetypes/{t}/deactivate                  (the shared decoder applies again)
//   GET  /v1/devicetype-aliases
//   PUT  /v1/devicetype-aliases/{alias}  body {"devicetype": "..."}
//   DELETE /v1/devicetype-aliases/{alias}
struct DecodersApi {
  store::Store& store;
  decode::DecoderRegistry& registry;
  const Clock& clock;

  HttpResponse Versions(const Scope& scope, const std::string& device_type) const;
  HttpResponse Upload(const Scope& scope, const std::string& device_type, const HttpRequest& req, bool activate) const;
  HttpResponse Activate(const Scope& scope, const std::string& device_type, const std::string& version) const;
  HttpResponse Aliases(const Scope& scope) const;
  // `body` empty: remove the alias.
  HttpResponse SetAlias(const Scope& scope, const std::string& alias, const std::string& body, bool remove) const;
};

}  // namespace telecollect::server
