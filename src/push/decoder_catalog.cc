#include "push/decoder_catalog.h"

namespace telecollect::push {
namespace {

std::string Origin(const Scope& scope, std::string_view device_type) {
  return "upload:" + scope.tenant + "/" + EnvName(scope.env) + "/" + std::string(device_type);
}

// Records the activation (`version` checked by the caller) and serves it here at once.
Status ActivateChecked(store::Store& store, decode::DecoderRegistry& registry, const Scope& scope,
                       const std::string& device_type, const std::string& version, EpochMs now) {
  TC_RETURN_IF_ERROR(store.ActivateDecoderVersion(scope, device_type, version, now));
  return LoadActiveDecoderVersions(store, registry).status();
}

bool IsMapName(std::string_view device_type) { return device_type.starts_with(kMapPrefix); }

// A map version: parsed (that is all its checks), stored under "map:NAME".
Result<UploadedVersion> UploadMapVersion(store::Store& store, decode::DecoderRegistry& registry, const Scope& scope,
                                         const std::string& text, const std::string& script, std::string_view expect_type,
                                         bool activate, EpochMs now) {
  const std::string origin = Origin(scope, expect_type.empty() ? "map" : expect_type);
  TC_ASSIGN_OR_RETURN(MeasurementMap map, ParseMeasurementMap(text, origin));
  const std::string stored = std::string(kMapPrefix) + map.name;
  if (!expect_type.empty() && decode::NormalizeDeviceType(expect_type) != stored) {
    return Status::InvalidArgument(origin + ": the file is the measurement map \"" + map.name + "\" (stored as \"" +
                                   stored + "\"), not \"" + std::string(expect_type) + "\"");
  }
  if (!script.empty()) return Status::InvalidArgument(origin + ": a measurement map takes no script");
  store::DecoderVersion v;
  v.scope = scope;
  v.device_type = stored;
  v.version = map.version;
  v.spec = text;
  v.uploaded_at = now;
  TC_RETURN_IF_ERROR(store.PutDecoderVersion(v));
  UploadedVersion out{stored, map.version, "map", 0, false};
  if (activate) {
    TC_RETURN_IF_ERROR(ActivateChecked(store, registry, scope, stored, map.version, now));
    out.activated = true;
  }
  return out;
}

}  // namespace

Result<MeasurementMap> BuildMapVersion(const store::DecoderVersion& v) {
  return ParseMeasurementMap(v.spec, Origin(v.scope, v.device_type) + "@" + v.version);
}

Result<decode::DeviceType> BuildDecoderVersion(const store::DecoderVersion& v, const decode::ScriptFactory& scripts) {
  const std::string origin = Origin(v.scope, v.device_type) + "@" + v.version;
  return decode::LoadDeclarativeSpec(v.spec, origin, scripts, v.script.empty() ? nullptr : &v.script);
}

Result<UploadedVersion> UploadDecoderVersion(store::Store& store, decode::DecoderRegistry& registry, const Scope& scope,
                                             const std::string& spec, const std::string& script,
                                             std::string_view expect_type, bool activate, EpochMs now) {
  if (LooksLikeMeasurementMap(spec)) {
    return UploadMapVersion(store, registry, scope, spec, script, expect_type, activate, now);
  }
  const std::string origin = Origin(scope, expect_type.empty() ? "spec" : expect_type);
  TC_ASSIGN_OR_RETURN(decode::DeviceType type, decode::LoadDeclarativeSpec(spec, origin, registry.scripts(), &script));
  if (!expect_type.empty() && type.name != decode::NormalizeDeviceType(expect_type)) {
    return Status::InvalidArgument(origin + ": the spec is for device type \"" + type.name + "\", not \"" +
                                   std::string(expect_type) + "\"");
  }
  if (type.tests.empty()) {
    return Status::InvalidArgument(origin + ": no [[test]] vectors: a version needs sample payloads and what they decode to");
  }
  TC_RETURN_IF_ERROR(decode::RunTestVectors(type));
  store::DecoderVersion v;
  v.scope = scope;
  v.device_type = type.name;
  v.version = type.version;
  v.spec = spec;
  v.script = script;
  v.uploaded_at = now;
  TC_RETURN_IF_ERROR(store.PutDecoderVersion(v));
  UploadedVersion out{type.name, type.version, type.decoder->kind(), type.tests.size(), false};
  if (activate) {  // its vectors have just passed
    TC_RETURN_IF_ERROR(ActivateChecked(store, registry, scope, type.name, type.version, now));
    out.activated = true;
  }
  return out;
}

Status ActivateDecoderVersion(store::Store& store, decode::DecoderRegistry& registry, const Scope& scope,
                              const std::string& device_type, const std::string& version, EpochMs now) {
  const std::string name = decode::NormalizeDeviceType(device_type);
  if (!version.empty()) {
    TC_ASSIGN_OR_RETURN(std::vector<store::DecoderVersion> versions, store.ListDecoderVersions(scope, name, false));
    const store::DecoderVersion* found = nullptr;
    for (const auto& v : versions) {
      if (v.version == version) found = &v;
    }
    if (!found) {
      return Status::NotFound("no uploaded version \"" + version + "\" of " + name + " for " + scope.tenant + "/" +
                              EnvName(scope.env));
    }
    // The engine or the spec rules may have changed since the upload.
    if (IsMapName(name)) {
      TC_RETURN_IF_ERROR(BuildMapVersion(*found).status());
    } else {
      TC_ASSIGN_OR_RETURN(decode::DeviceType type, BuildDecoderVersion(*found, registry.scripts()));
      TC_RETURN_IF_ERROR(decode::RunTestVectors(type));
    }
  }
  return ActivateChecked(store, registry, scope, name, version, now);
}

Result<std::vector<std::string>> LoadActiveDecoderVersions(store::Store& store, decode::DecoderRegistry& registry,
                                                           std::string* signature) {
  TC_ASSIGN_OR_RETURN(std::vector<store::DecoderVersion> active, store.ListDecoderVersions(std::nullopt, "", true));
  TC_ASSIGN_OR_RETURN(std::vector<store::TypeAlias> aliases, store.ListTypeAliases(std::nullopt));
  std::vector<std::string> problems;
  if (signature) {
    std::string now;
    for (const auto& v : active) {
      now += v.scope.tenant + '\0' + EnvName(v.scope.env) + '\0' + v.device_type + '\0' + v.version + '\0' +
             std::to_string(*v.activated_at) + '\n';
    }
    for (const auto& a : aliases) {
      now += a.scope.tenant + '\0' + EnvName(a.scope.env) + '\0' + a.alias + '\0' + a.device_type + '\n';
    }
    if (now == *signature) return problems;
    *signature = std::move(now);
  }
  std::vector<decode::DecoderRegistry::ScopedType> types;
  std::vector<decode::DecoderRegistry::ScopedMap> maps;
  for (const auto& v : active) {
    if (IsMapName(v.device_type)) {
      auto map = BuildMapVersion(v);
      if (!map.ok()) {
        problems.push_back(v.scope.tenant + "/" + EnvName(v.scope.env) + " " + v.device_type + " v" + v.version + ": " +
                           map.status().message());
        continue;
      }
      maps.push_back({v.scope, std::make_shared<const MeasurementMap>(std::move(map).value())});
      continue;
    }
    auto type = BuildDecoderVersion(v, registry.scripts());
    Status vectors = type.ok() ? decode::RunTestVectors(*type) : type.status();
    if (!vectors.ok()) {
      problems.push_back(v.scope.tenant + "/" + EnvName(v.scope.env) + " " + v.device_type + " v" + v.version + ": " +
                         vectors.message());
      continue;
    }
    types.push_back({v.scope, std::make_shared<const decode::DeviceType>(std::move(type).value())});
  }
  std::vector<decode::DecoderRegistry::ScopedAlias> scoped_aliases;
  for (const auto& a : aliases) scoped_aliases.push_back({a.scope, a.alias, a.device_type});
  for (const auto& a : registry.ReplaceScoped(types, scoped_aliases, maps)) {
    problems.push_back(a.scope.tenant + "/" + EnvName(a.scope.env) + " alias \"" + a.alias + "\": no decoder for " +
                       a.device_type);
  }
  return problems;
}

Status SetTypeAlias(store::Store& store, decode::DecoderRegistry& registry, const Scope& scope,
                    const std::string& alias, const std::string& device_type) {
  store::TypeAlias a{scope, decode::NormalizeDeviceType(alias), decode::NormalizeDeviceType(device_type)};
  if (a.alias.empty()) return Status::InvalidArgument("the alias is empty");
  if (!a.device_type.empty()) {
    if (a.alias == a.device_type) return Status::InvalidArgument("an alias names another device type, not itself");
    auto target = registry.Find(scope, a.device_type);
    if (!target) {
      return Status::NotFound("no decoder for device type \"" + a.device_type + "\" in " + scope.tenant + "/" +
                              EnvName(scope.env) + " (GET /v1/devicetypes)");
    }
    a.device_type = target->name;  // an alias of an alias names the decoder itself
  }
  TC_RETURN_IF_ERROR(store.PutTypeAlias(a));
  return LoadActiveDecoderVersions(store, registry).status();
}

}  // namespace telecollect::push
