#pragma once

#include <memory>
#include <string>

#include "core/config.h"
#include "core/model.h"
#include "store/sqlite_store.h"

namespace telecollect::cli {

// Prints "telecollect: <message>" to stderr and returns the exit code for it.
int Fail(const Status& s);
Result<std::unique_ptr<store::SqliteStore>> OpenStore(const Config& config);
// --tenant/--env into a scope; errors name the option.
Result<Scope> ScopeFrom(const std::string& tenant, const std::string& env);

}  // namespace telecollect::cli
