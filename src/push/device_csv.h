#pragma once

#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/store.h"

namespace telecollect::push {

// Reads a device list for bulk import. First line: a header naming the
// columns, in any order: `deviceid` (required), `devicetype`, `label`,
// `module`. Separator `,` or `;` (taken from the header line); fields may be
// double-quoted ("" inside quotes is a quote); a UTF-8 BOM and CRLF are
// accepted; blank lines are skipped. Errors name the line and column; the
// whole file is refused on the first error (nothing half-imported).
Result<std::vector<store::Device>> ParseDeviceCsv(std::string_view text);

}  // namespace telecollect::push
