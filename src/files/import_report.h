#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/time_util.h"

namespace telecollect::files {

// One problem found in a file, located as precisely as the format allows.
struct FileIssue {
  std::string part;   // zip entry, empty otherwise
  int64_t line = 0;   // 1-based; 0 = the whole file
  std::string field;  // "column 3 (valeur)", "/data/3/value", "@v"
  std::string message;
};

// What reading a file found and would import: the validation report and the
// import journal's record. Errors are rows that cannot be read; warnings are
// readings imported with a remark (DST resolution, duplicates, gaps, range).
struct ImportReport {
  static constexpr size_t kMaxListed = 50;  // per list: errors, and each warning kind
  static constexpr size_t kSampleSize = 10;

  std::string file;
  std::string profile;
  std::string format;
  std::string compression;  // none, gzip, zip
  std::string encoding;     // as detected or declared
  bool bom = false;
  std::string delimiter;    // CSV
  std::string timezone;

  int64_t bytes = 0;
  int64_t rows = 0;          // records read (data rows, not headers)
  int64_t rows_rejected = 0; // rows with an error
  int64_t readings = 0;      // measurements produced
  int64_t modules = 0;
  EpochMs first_ts = 0, last_ts = 0;

  int64_t error_count = 0;
  std::vector<FileIssue> errors;                     // first kMaxListed
  std::map<std::string, int64_t> warning_counts;     // by kind
  std::map<std::string, std::vector<FileIssue>> warnings;  // first kMaxListed per kind

  struct Sample {
    std::string module;
    EpochMs utc = 0;
    std::string local;  // as read in the profile's zone (empty for absolute times)
    double value = 0;
    std::string unit;
    int64_t line = 0;
  };
  std::vector<Sample> sample;

  void AddError(FileIssue issue);
  void AddWarning(const std::string& kind, FileIssue issue);

  std::string ToJson() const;
  std::string ToText() const;  // for people: the CLI's validate output
};

}  // namespace telecollect::files
