// Any bytes as a CSV file (plain, gzip or zip; any encoding; delimiter
// detected), read long and wide, with and without a units row. Never crashes;
// readings are finite and in range.
#include "file_fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using telecollect::files::FuzzFile;
  FuzzFile(data, size, R"(
format = "csv"
delimiter = "auto"
decimal = ","
thousands = " "
timestamp_format = "%d/%m/%Y %H:%M"
on_row_error = "skip"
[fields]
module = "compteur"
timestamp = ["date", 3]
value = "valeur"
unit = "unite"
)");
  FuzzFile(data, size, R"(
format = "csv"
layout = "wide"
delimiter = ";"
units_row = true
timestamp_format = "iso8601"
interval = "10m"
timestamp_marks = "end"
shift_to_start = true
[fields]
timestamp = 1
exclude = ["note"]
)");
  FuzzFile(data, size, R"(
format = "csv"
delimiter = "auto"
units_row = true
timestamp_format = "%Y-%m-%d %H:%M:%S"
[fields]
module = 1
timestamp = 2
value = 3
)");
  return 0;
}
