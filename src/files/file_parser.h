#pragma once

#include "core/status.h"
#include "files/import_report.h"
#include "files/input_file.h"
#include "files/profile.h"
#include "files/row_mapper.h"

namespace telecollect::files {

// Reads a whole file (every part of a zip) under a profile, streaming: row
// problems go to the report (with line and field); readings go to the sink in
// bounded chunks. Non-ok only for what stops the reading: an unreadable or
// corrupt file, a header without the profile's columns, a malformed document,
// a sink failure.
Status ParseFile(InputFile& file, const Profile& profile, ReadingSink& sink, ImportReport& report);

// Reads the file at `path` into `sink`; every problem of the file ends up in
// the report (a file-level one also in `file_error`, as an error at line 0).
// With `hash`, returns the SHA-256 (hex) of its raw bytes (empty if it cannot
// be opened); without, returns "" and skips the hashing.
std::string ReadFileInto(const std::string& path, const Profile& profile, ReadingSink& sink, ImportReport& report,
                         Status& file_error, bool hash);

// Reads a file under a profile without storing anything: the validation
// report. A file-level failure is the report's error at line 0.
ImportReport ValidateFile(const std::string& local_path, const Profile& profile);
// The same for a file already open (an upload in memory); the report names it
// by its InputFile::path().
ImportReport ValidateInput(InputFile& file, const Profile& profile);

// Format readers, one per format; each feeds rows to the mapper.
Status ReadCsvPart(TextReader& text, const Profile& profile, std::string_view part, RowMapper& mapper,
                   ImportReport& report);
Status ReadJsonPart(TextReader& text, const Profile& profile, std::string_view part, RowMapper& mapper);
Status ReadXmlPart(TextReader& text, const Profile& profile, std::string_view part, RowMapper& mapper);

}  // namespace telecollect::files
