#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "files/input_file.h"
#include "files/profile.h"

namespace telecollect::files {

struct SniffResult {
  Profile profile;
  std::vector<std::string> notes;  // how each choice was made, for people
};

// Proposes a profile for a sample file: format (extension and content),
// encoding, and for CSV the delimiter, preamble rows, header, decimal and
// thousands separators; for JSON the records array; for XML the repeating
// element. Then which fields are module / timestamp / value (French and
// English names, then content) — or a timestamp and one column per module
// (wide) — and the timestamp format (Europe/Paris when times have no offset).
// Reads at most the first 8 MiB of the file.
Result<SniffResult> SniffProfile(const std::string& path);
// The same for a file already open (an upload in memory: InputFile::FromMemory).
// Errors name the file by its InputFile::path(), the upload's own name.
Result<SniffResult> SniffInput(InputFile& file);

}  // namespace telecollect::files
