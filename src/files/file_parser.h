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

// Format readers, one per format; each feeds rows to the mapper.
Status ReadCsvPart(TextReader& text, const Profile& profile, std::string_view part, RowMapper& mapper,
                   ImportReport& report);
Status ReadJsonPart(TextReader& text, const Profile& profile, std::string_view part, RowMapper& mapper,
                    ImportReport& report);
Status ReadXmlPart(TextReader& text, const Profile& profile, std::string_view part, RowMapper& mapper,
                   ImportReport& report);

}  // namespace telecollect::files
