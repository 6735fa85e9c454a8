#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "decode/registry.h"
#include "store/store.h"

namespace telecollect::push {

// The decoder lifecycle: a tenant uploads versions of a device type's decoder
// (a spec, plus the script of a script decoder) for one env; a version is
// stored only if it parses and every test vector passes; activating one makes
// it the decoder of that device type for that tenant and env (before the
// shared, shipped one), at once in this process and in other servers on the
// same store at their next refresh.
struct UploadedVersion {
  std::string device_type;
  std::string version;
  std::string kind;
  size_t vectors = 0;
  bool activated = false;
};

// Measurement maps (core/measurement_map.h) are versioned the same way: a
// file with `map = "NAME"` instead of `devicetype` is stored as the versions of
// the device type "map:NAME" (checked by parsing; no vectors), activated and
// rolled back alike, and served by DecoderRegistry::FindMap.
inline constexpr std::string_view kMapPrefix = kMapTypePrefix;

// `expect_type`, when not empty, is the device type the caller means (the URL's):
// the spec must name it. Nothing is stored when the spec or a vector fails.
Result<UploadedVersion> UploadDecoderVersion(store::Store& store, decode::DecoderRegistry& registry, const Scope& scope,
                                             const std::string& spec, const std::string& script,
                                             std::string_view expect_type, bool activate, EpochMs now);

// Makes `version` the active one (its vectors are run again first); an empty
// `version` leaves none active, so the shared decoder applies again.
Status ActivateDecoderVersion(store::Store& store, decode::DecoderRegistry& registry, const Scope& scope,
                              const std::string& device_type, const std::string& version, EpochMs now);

// Builds every active version found in the store into the registry's scoped
// table. A version that no longer builds is skipped and named in the result.
// With `signature`, nothing is rebuilt when the active set has not changed
// since the call that left that signature (a server's periodic refresh).
Result<std::vector<std::string>> LoadActiveDecoderVersions(store::Store& store, decode::DecoderRegistry& registry,
                                                           std::string* signature = nullptr);

// Names `alias` (a platform's device profile or model name, as this tenant's
// frames carry it) as `device_type` for `scope`; an empty `device_type`
// removes the alias. The device type must have a decoder for that scope.
Status SetTypeAlias(store::Store& store, decode::DecoderRegistry& registry, const Scope& scope,
                    const std::string& alias, const std::string& device_type);

// An uploaded map version, parsed.
Result<MeasurementMap> BuildMapVersion(const store::DecoderVersion& version);

// The uploaded version as a device type (spec parsed, vectors not run).
Result<decode::DeviceType> BuildDecoderVersion(const store::DecoderVersion& version, const decode::ScriptFactory& scripts);

}  // namespace telecollect::push
