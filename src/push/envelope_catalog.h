#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "push/configured_envelope.h"
#include "store/store.h"

namespace telecollect::push {

// Envelopes uploaded per tenant and env, as decoder versions are
// (decoder_catalog.h): a version is stored only if its TOML loads; activating
// one makes it the envelope of that name for that tenant and env, before a
// decoder directory's envelope of the same name, at once in this process and
// in other servers on the same store at their next refresh. Other tenants and
// the other env never see it.
struct UploadedEnvelope {
  std::string name;
  std::string version;
  bool activated = false;
};

// `expect_name`, when not empty, is the name the caller means (the URL's): the
// TOML must name it. The TOML needs a `version`. Nothing is stored when it is
// refused; `where` then says the line and key at fault.
Result<UploadedEnvelope> UploadEnvelopeVersion(store::Store& store, const Scope& scope, const std::string& toml,
                                               std::string_view expect_name, bool activate, EpochMs now,
                                               EnvelopeSpecError* where = nullptr);

// Makes `version` the active one (it is loaded again first); an empty
// `version` leaves none active.
Status ActivateEnvelopeVersion(store::Store& store, const Scope& scope, const std::string& name,
                               const std::string& version, EpochMs now);

// Loads every active version found in the store and registers them
// (SetScopedEnvelopes). A version that no longer loads is left out and named
// in the result. With `signature`, nothing is reloaded when the active set
// has not changed since the call that left that signature.
Result<std::vector<std::string>> LoadActiveEnvelopeVersions(store::Store& store, std::string* signature = nullptr);

// The stored version as an envelope.
Result<std::shared_ptr<const Envelope>> BuildEnvelopeVersion(const store::EnvelopeVersion& version);

}  // namespace telecollect::push
