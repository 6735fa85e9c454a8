#pragma once

#include <cstddef>
#include <string>

#include "core/status.h"

namespace telecollect {

// What telecollect writes is its own: directories 0700, files 0600.

// Sets the process umask to 077, so that every file and directory created
// from here on (SQLite's database, WAL and SHM files included) has no group
// or other bits. Called first by every command that writes.
void RestrictUmask();

// How many entries PrivateDataDir found wider than 0700 / 0600 and narrowed.
struct TightenedModes {
  size_t dirs = 0;
  size_t files = 0;
  size_t total() const { return dirs + files; }
};

// Creates `dir` (and its parents) if missing, mode 0700; then clears the
// group and other bits of `dir` and of the files and directories in it, two
// levels deep (what telecollect creates there: the database, its WAL and SHM,
// the key file, spool/, decoders/...), so that a data dir made by an older
// version, 0755 with a 0644 database, becomes private. Symbolic links and
// entries owned by another user are left alone. kIoError when a mode cannot
// be changed.
Result<TightenedModes> PrivateDataDir(const std::string& dir);

}  // namespace telecollect
