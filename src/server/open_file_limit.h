#pragma once
// The process's open-file limit (RLIMIT_NOFILE), which bounds connections.

#include <cstdint>

namespace telecollect::server {

// Raises the soft limit to the hard one (as far as the kernel allows) and
// returns the soft limit in force afterwards.
uint64_t RaiseOpenFileLimit();

// server.max_connections when the option is 0 (automatic): half the
// open-file limit (the rest is for the store, files and connectors), at most 4096.
uint64_t AutoMaxConnections(uint64_t open_file_limit);

}  // namespace telecollect::server
