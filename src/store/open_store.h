#pragma once

#include <memory>

#include "core/config.h"
#include "store/store.h"

namespace telecollect::store {

// Opens the backend `options.backend` names: "sqlite" (the file
// `options.path`, which must be set) or "postgres" (the database `options.url`
// names, with `options.password` if not empty). Migrates the schema to this
// binary's version. kInvalidArgument for an unknown backend or bad options,
// kUnavailable when the database cannot be reached, kIoError otherwise.
Result<std::unique_ptr<Store>> OpenStore(const StoreOptions& options);

}  // namespace telecollect::store
