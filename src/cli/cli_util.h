#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/config.h"
#include "core/model.h"
#include "store/store.h"

namespace telecollect::cli {

// Prints "telecollect: <message>" to stderr and returns the exit code for it.
int Fail(const Status& s);
// Makes the data dir private (PrepareDataDir, said on stderr), then opens the
// store the config names (store::OpenStore), the SQLite file resolved against
// data_dir and the PostgreSQL password read from the secrets file or the
// environment.
Result<std::unique_ptr<store::Store>> OpenStore(const Config& config);
// Where the store is, for messages: the SQLite file, or PostgreSQL's host list.
std::string StoreLocation(const Config& config);
// Creates the data dir 0700, or narrows an existing one and what telecollect
// keeps in it to 0700/0600; says so once, through `note` (a log line in serve,
// stderr for the other commands), when modes were narrowed.
Status PrepareDataDir(const Config& config, const std::function<void(const std::string&)>& note);
// --tenant/--env into a scope; errors name the option.
Result<Scope> ScopeFrom(const std::string& tenant, const std::string& env);

}  // namespace telecollect::cli
