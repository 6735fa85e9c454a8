#include "push/envelope_catalog.h"

namespace telecollect::push {
namespace {

std::string Origin(const Scope& scope, std::string_view name) {
  return "upload:" + scope.tenant + "/" + EnvName(scope.env) + "/" + std::string(name);
}

}  // namespace

Result<std::shared_ptr<const Envelope>> BuildEnvelopeVersion(const store::EnvelopeVersion& v) {
  return LoadEnvelopeSpec(v.spec, Origin(v.scope, v.name) + "@" + v.version);
}

Result<UploadedEnvelope> UploadEnvelopeVersion(store::Store& store, const Scope& scope, const std::string& toml,
                                               std::string_view expect_name, bool activate, EpochMs now,
                                               EnvelopeSpecError* where) {
  const std::string origin = Origin(scope, expect_name.empty() ? "envelope" : expect_name);
  TC_ASSIGN_OR_RETURN(std::shared_ptr<const Envelope> envelope, LoadEnvelopeSpec(toml, origin, where));
  const std::string name(envelope->source());
  if (!expect_name.empty() && name != expect_name) {
    if (where) *where = EnvelopeSpecError{0, "name"};
    return Status::InvalidArgument(origin + ": name: the file is envelope \"" + name + "\", not \"" +
                                   std::string(expect_name) + "\"");
  }
  if (envelope->version().empty()) {
    if (where) *where = EnvelopeSpecError{0, "version"};
    return Status::InvalidArgument(origin + ": version is required for an upload (version = \"1\"): each upload is kept "
                                            "as a version that can be activated again");
  }
  store::EnvelopeVersion v{scope, name, std::string(envelope->version()), toml, now, {}};
  TC_RETURN_IF_ERROR(store.PutEnvelopeVersion(v));
  UploadedEnvelope out{v.name, v.version, false};
  if (activate) {
    TC_RETURN_IF_ERROR(store.ActivateEnvelopeVersion(scope, v.name, v.version, now));
    TC_RETURN_IF_ERROR(LoadActiveEnvelopeVersions(store).status());
    out.activated = true;
  }
  return out;
}

Status ActivateEnvelopeVersion(store::Store& store, const Scope& scope, const std::string& name,
                               const std::string& version, EpochMs now) {
  if (!version.empty()) {
    TC_ASSIGN_OR_RETURN(std::vector<store::EnvelopeVersion> versions, store.ListEnvelopeVersions(scope, name, false));
    const store::EnvelopeVersion* found = nullptr;
    for (const auto& v : versions) {
      if (v.version == version) found = &v;
    }
    if (!found) {
      return Status::NotFound("no uploaded version \"" + version + "\" of envelope " + name + " for " + scope.tenant +
                              "/" + EnvName(scope.env));
    }
    // The envelope rules may have changed since the upload.
    TC_RETURN_IF_ERROR(BuildEnvelopeVersion(*found).status());
  }
  TC_RETURN_IF_ERROR(store.ActivateEnvelopeVersion(scope, name, version, now));
  return LoadActiveEnvelopeVersions(store).status();
}

Result<std::vector<std::string>> LoadActiveEnvelopeVersions(store::Store& store, std::string* signature) {
  TC_ASSIGN_OR_RETURN(std::vector<store::EnvelopeVersion> active, store.ListEnvelopeVersions(std::nullopt, "", true));
  std::vector<std::string> problems;
  if (signature) {
    std::string now;
    for (const auto& v : active) {
      now += v.scope.tenant + '\0' + EnvName(v.scope.env) + '\0' + v.name + '\0' + v.version + '\0' +
             std::to_string(*v.activated_at) + '\n';
    }
    if (now == *signature) return problems;
    *signature = std::move(now);
  }
  std::vector<ScopedEnvelope> loaded;
  for (const auto& v : active) {
    auto envelope = BuildEnvelopeVersion(v);
    if (!envelope.ok()) {
      problems.push_back(envelope.status().message());
      continue;
    }
    loaded.push_back({v.scope, std::move(envelope).value()});
  }
  SetScopedEnvelopes(std::move(loaded));
  return problems;
}

}  // namespace telecollect::push
