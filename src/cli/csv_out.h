#pragma once

#include "core/csv_field.h"

namespace telecollect::cli {

using telecollect::CsvField;  // core/csv_field.h

}  // namespace telecollect::cli
