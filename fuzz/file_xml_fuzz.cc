// Any bytes as an XML document: records at any depth, attributes, children,
// fields of enclosing elements, namespaces bound by the profile. Never crashes;
// readings finite and in range.
#include "file_fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using telecollect::files::FuzzFile;
  FuzzFile(data, size, R"(
format = "xml"
records = "//r"
decimal = ","
timestamp_format = "%Y-%m-%d %H:%M"
on_row_error = "skip"
[fields]
module = "../@id"
timestamp = "@t"
value = "v"
unit = "../Unite"
)");
  FuzzFile(data, size, R"(
format = "xml"
layout = "wide"
records = "/export/*"
timestamp_format = "iso8601"
[fields]
timestamp = "@ts"
)");
  FuzzFile(data, size, R"(
format = "xml"
records = "/m:export/m:meter/m:r"
timestamp_format = "%Y-%m-%d %H:%M"
on_row_error = "skip"
[namespaces]
m = "urn:m"
[fields]
module = "../@m:id"
timestamp = "@t"
value = "m:v"
)");
  return 0;
}
