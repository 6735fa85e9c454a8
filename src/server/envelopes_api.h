#pragma once

#include <string>

#include "core/clock.h"
#include "core/model.h"
#include "server/http_types.h"
#include "store/store.h"

namespace telecollect::server {

// Platform envelopes uploaded per tenant and env (push/envelope_catalog.h),
// bounded by the token's tenant and env (docs/push.md, "Uploading an envelope"):
//   GET  /v1/envelopes                                  what POST /v1/push/{name} finds for this token
//   GET  /v1/envelopes/{name}/versions
//   POST /v1/envelopes/{name}/versions[?activate=true]  body: the envelope TOML
//   POST /v1/envelopes/{name}/versions/{v}/activate
//   POST /v1/envelopes/{name}/deactivate                (a decoder directory's envelope of that name applies again)
// A refused upload is 400 {"error", "line", "field"} and stores nothing.
struct EnvelopesApi {
  store::Store& store;
  const Clock& clock;

  HttpResponse List(const Scope& scope) const;
  HttpResponse Versions(const Scope& scope, const std::string& name) const;
  HttpResponse Upload(const Scope& scope, const std::string& name, const HttpRequest& req, bool activate) const;
  HttpResponse Activate(const Scope& scope, const std::string& name, const std::string& version) const;
};

}  // namespace telecollect::server
