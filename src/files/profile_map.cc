#include "files/profile_map.h"

namespace telecollect::files {

Status ResolveProfileMap(store::Catalog& catalog, const Scope& scope, Profile& profile) {
  if (profile.map_name.empty()) return Status::Ok();
  const std::string stored = std::string(kMapTypePrefix) + profile.map_name;
  TC_ASSIGN_OR_RETURN(std::vector<store::DecoderVersion> active, catalog.ListDecoderVersions(scope, stored, true));
  if (active.empty()) {
    return Status::NotFound("map = \"" + profile.map_name + "\": no measurement map of that name is active for " +
                            scope.tenant + "/" + EnvName(scope.env) + " (telecollect decoders upload --tenant " +
                            scope.tenant + " --env " + EnvName(scope.env) + " MAP.toml --activate)");
  }
  const store::DecoderVersion& v = active.front();
  TC_ASSIGN_OR_RETURN(MeasurementMap map, ParseMeasurementMap(v.spec, "upload:" + scope.tenant + "/" +
                                                                          EnvName(scope.env) + "/" + stored + "@" + v.version));
  profile.map = std::make_shared<const MeasurementMap>(std::move(map));
  return Status::Ok();
}

}  // namespace telecollect::files
