#pragma once
// Directory durability: a file created, renamed or removed survives a power cut
// only once its directory is fsynced (fsync of the file itself does not cover
// its name). tests/powercut checks every caller.
#include <string>

#include "core/status.h"

namespace telecollect {

// fsyncs the directory `dir`. kIoError (naming the errno, not the path) if it
// cannot be opened or synced.
Status SyncDirectory(const std::string& dir);

}  // namespace telecollect
