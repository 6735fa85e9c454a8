// Any bytes as a JSON document (records nested under arrays, fields of the
// enclosing object) and as NDJSON. Never crashes; readings finite and in range.
#include "file_fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using telecollect::files::FuzzFile;
  FuzzFile(data, size, R"(
format = "json"
records = "/meters/*/readings"
timestamp_format = "iso8601"
on_row_error = "skip"
[fields]
module = "../id"
timestamp = "t"
value = "v"
)");
  FuzzFile(data, size, R"(
format = "ndjson"
layout = "wide"
timestamp_format = "epoch"
[fields]
timestamp = "ts"
)");
  return 0;
}
