#pragma once

#include "core/status.h"

namespace telecollect::cli {

// Exit codes of the telecollect command (docs/cli.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;     // an operation failed (storage, I/O)
inline constexpr int kExitUsage = 2;       // bad arguments, config or input file
inline constexpr int kExitNotFound = 3;    // the thing named does not exist
inline constexpr int kExitCannotServe = 4; // the server could not start (address in use, ...)

inline int ExitCodeFor(const Status& s) {
  switch (s.code()) {
    case StatusCode::kOk: return kExitOk;
    case StatusCode::kInvalidArgument:
    case StatusCode::kUnsupported:
    case StatusCode::kAlreadyExists: return kExitUsage;
    case StatusCode::kNotFound: return kExitNotFound;
    default: return kExitFailure;
  }
}

}  // namespace telecollect::cli
