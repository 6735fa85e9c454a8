#pragma once

#include <string>
#include <vector>
#include <string_view>

#include "core/status.h"
#include "files/import_report.h"
#include "files/profile.h"
#include "files/row_mapper.h"
#include "pull/api_connector.h"

namespace telecollect::pull {

// A record that carries its own error (response.record_*): left out, named.
struct BadRecord {
  int64_t line = 0;       // NDJSON line
  std::string timestamp;  // its mapping.fields.timestamp, as written ("" when it has none)
  std::string message;    // the path and value that say why, and its message
};

// What one API answer says besides its readings.
struct AnswerInfo {
  std::string business_error;  // an error inside a 2xx answer (response checks), for people
  std::string cursor;          // pagination.cursor_path's value
  std::string next_url;        // pagination.next_path's value
  int64_t records = 0;         // data records read (control records excluded)
  std::vector<BadRecord> bad_records;  // records in error, left out of the mapping
};

// Maps one answer body (JSON or NDJSON, gzip detected) under the connector's
// mapping: readings to `sink`, row problems to `report` (as for a file, the
// line being the NDJSON line or 1). The response checks and the paging
// fields are read from the top level of a JSON answer, or from every line of
// an NDJSON one. Non-ok only for what stops the reading (a malformed document,
// a sink failure); a business error is returned in `info`, nothing mapped.
// The record checks (checks.record_*) are read on every NDJSON data line (not
// a control record): a line in error is left out of the mapping and listed in
// info.bad_records; the other lines are mapped.
Status MapAnswer(std::string_view body, const files::Profile& mapping, const ResponseChecks& checks,
                 const Pagination& pagination, files::ReadingSink& sink, files::ImportReport& report, AnswerInfo& info);

}  // namespace telecollect::pull
