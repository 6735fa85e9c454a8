#pragma once

#include <cstddef>

namespace telecollect::store {

// What the SQLite and PostgreSQL file journals share: the same table, read
// through the same columns, and the same bound on an import's buffered readings.

// Readings held before they are written as chunks: enough for whole chunks of
// many modules, bounded whatever the file's size.
inline constexpr size_t kBufferedReadings = size_t{1} << 16;

inline constexpr const char* kFileColumns =
    "SELECT f.id, s.tenant, s.env, f.connector, f.path, f.size, f.mtime_ms, f.sha256, f.status, f.rows, f.readings, "
    "f.errors, f.report, f.at_ms FROM files f JOIN scopes s ON s.id = f.scope_id ";

}  // namespace telecollect::store
