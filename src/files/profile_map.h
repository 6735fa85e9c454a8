#pragma once

#include "core/model.h"
#include "files/profile.h"
#include "store/store.h"

namespace telecollect::files {

// A profile's named measurement map (map = "NAME"): the map uploaded and active
// for `scope` (the versions of "map:NAME", push/decoder_catalog.h), set as
// profile.map. Nothing to do when the profile names none. A name with no active
// version is kNotFound, naming the map, the scope and how to upload one.
Status ResolveProfileMap(store::Catalog& catalog, const Scope& scope, Profile& profile);

}  // namespace telecollect::files
