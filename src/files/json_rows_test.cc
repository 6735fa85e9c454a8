// The JSON reader against documents whose readings and bad records the
// generator knows: records in whole blocks (read in bulk), across the read
// buffer's refills, with escapes, brackets and commas inside strings, nested
// members, several lines per record, numbers in every JSON form, and bad
// records whose line is checked. Records with a nested member or an escape are
// read by simdjson, the others by the flat reader: both give the same values.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include <fmt/format.h>

#include "files/file_parser.h"
#include "files/test_file_util.h"

namespace telecollect::files {
namespace {

class CollectSink : public ReadingSink {
 public:
  Status Add(const std::vector<ModuleDef>& modules, std::span<const Reading> readings) override {
    for (const Reading& r : readings) out.push_back(fmt::format("{} {} {}", modules[r.module].name, r.ts, r.value));
    return Status::Ok();
  }
  std::vector<std::string> out;
};

// A document parsed under `profile`: what the parse returned, the readings
// as CollectSink prints them, and the report.
struct Parsed {
  Status status;
  std::vector<std::string> readings;
  ImportReport report;
};
Parsed ParseDocument(const std::string& text, const Profile& profile) {
  Parsed p;
  TempFile file(text, ".json");
  Result<std::unique_ptr<InputFile>> in = InputFile::Open(file.path());
  if (!in.ok()) {
    p.status = in.status();
    return p;
  }
  CollectSink sink;
  p.status = ParseFile(**in, profile, sink, p.report);
  p.readings = std::move(sink.out);
  return p;
}

struct Generated {
  std::string text;
  std::vector<std::string> readings;  // as CollectSink prints them
  std::vector<int64_t> bad_lines;     // the line of each bad record
};

// A JSON string literal for `s` (quotes and backslashes escaped).
std::string Quote(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  return o + "\"";
}

// About one record in `bad_every` is bad (its value is a string, or not JSON).
Generated Generate(uint32_t seed, int records, int bad_every) {
  std::mt19937 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); };
  Generated g;
  int64_t line = 1;
  auto put = [&](const std::string& s) {
    g.text += s;
    line += std::count(s.begin(), s.end(), '\n');
  };
  put("{\"export\": \"x\", \"readings\": [");
  const EpochMs base = 1767225600000;  // 2026-01-01T00:00:00Z
  for (int i = 0; i < records; ++i) {
    if (i > 0) put(pick(3) == 0 ? "\n, " : pick(2) ? ",\n" : ",");
    if (pick(4) == 0) put("\n  ");
    // Module names: plain, or with characters the bulk reader must not take for structure.
    std::string module = fmt::format("m{}", pick(5));
    switch (pick(8)) {
      case 0: module += "{a,b}"; break;
      case 1: module += "[x]"; break;
      case 2: module += "\"q\""; break;  // escaped quotes: CaptureValue's record
      case 3: module += "\\s"; break;    // an escaped backslash
      default: break;
    }
    const EpochMs ts = base + int64_t{600000} * i;
    const int64_t record_line = line;
    const bool bad = pick(bad_every) == 0;
    // A bad value is a string (the record is JSON, its value is not a number)
    // or a broken literal (the record is not JSON: its batch is read again record by record).
    // Values in JSON's number forms: what the reader gives is the correctly
    // rounded double (strtod's), whether simdjson or the flat reader reads it.
    std::string number;
    switch (pick(6)) {
      case 0: number = fmt::format("-{}.{:03}", pick(100000), pick(1000)); break;
      case 1: number = fmt::format("{}e{}", pick(1000), pick(7) - 3); break;
      case 2: number = fmt::format("0.{}{}", rng(), rng()); break;  // more digits than a double holds
      case 3: number = fmt::format("{}{:09}", rng(), rng() % 1000000000); break;  // a large integer
      case 4: number = fmt::format("{}.5E+2", pick(100)); break;
      default: number = fmt::format("{}", i % 1000);
    }
    const std::string value = !bad ? number : pick(2) ? "\"not a number\"" : "tru";
    std::string rec = "{";
    if (pick(3) == 0) rec += "\"meta\": {\"tags\": [\"a\", {\"b\": [1, 2]}], \"n\": null},";
    rec += "\"module\":" + Quote(module) + ",";
    if (pick(5) == 0) rec += "\n    ";
    rec += fmt::format("\"ts\": {},", ts);
    if (pick(6) == 0) rec += "\n";
    rec += "\"value\":" + value + "}";
    put(rec);
    if (bad) g.bad_lines.push_back(record_line);
    else g.readings.push_back(fmt::format("{} {} {}", module, ts, std::strtod(number.c_str(), nullptr)));
  }
  put("\n]}\n");
  return g;
}

TEST(JsonRowsTest, ReadingsAndBadRecordLinesMatchTheGenerator) {
  Result<Profile> profile = LoadProfileString(R"(
format = "json"
records = "/readings"
timestamp_format = "epoch_ms"
on_row_error = "skip"
[fields]
module = "module"
timestamp = "ts"
value = "value"
)", "test");
  ASSERT_TRUE(profile.ok()) << profile.status().message();
  for (uint32_t seed : {1u, 2u, 3u}) {
    // ~60,000 records: about 6 MiB, several refills of the reader's buffer.
    // Fewer than 50 bad records (the report lists 50 in full), spread over the file.
    const Generated g = seed == 1 ? Generate(seed, 60000, 2000) : Generate(seed, 3000, 100);
    const Parsed p = ParseDocument(g.text, *profile);
    ASSERT_TRUE(p.status.ok()) << p.status.message();
    EXPECT_EQ(p.readings, g.readings) << "seed " << seed;
    std::vector<int64_t> lines;
    for (const FileIssue& e : p.report.errors) lines.push_back(e.line);
    EXPECT_EQ(p.report.rows_rejected, static_cast<int64_t>(g.bad_lines.size())) << "seed " << seed;
    ASSERT_EQ(lines.size(), g.bad_lines.size()) << "seed " << seed;
    for (size_t i = 0; i < lines.size(); ++i) {
      ASSERT_EQ(lines[i], g.bad_lines[i]) << "seed " << seed << ", bad record " << i;
    }
  }
}

TEST(JsonRowsTest, WhatStandsBetweenRecordsIsChecked) {
  Result<Profile> profile = LoadProfileString(R"(
format = "json"
records = "/r"
timestamp_format = "epoch_ms"
[fields]
module = "m"
timestamp = "t"
value = "v"
)", "test");
  ASSERT_TRUE(profile.ok());
  const std::string rec = R"({"m":"a","t":1767225600000,"v":1})";
  std::string many;
  for (int i = 0; i < 200; ++i) many += (i ? "," : "") + rec;
  // A missing comma, a doubled comma, a stray scalar: errors, wherever they fall.
  for (const std::string& bad : {rec + " " + rec, rec + ",," + rec, rec + ", 12 x," + rec}) {
    const Parsed p = ParseDocument("{\"r\": [" + many + "," + bad + "," + many + "]}", *profile);
    EXPECT_FALSE(p.status.ok() && p.report.errors.empty()) << bad;
  }
}

// Wide layout: a timestamp inside a nested object is not a column, its
// siblings are (named with dots), and so are the top-level members.
TEST(JsonRowsTest, WideNestedTimestampIsNotAColumn) {
  Result<Profile> profile = LoadProfileString(R"(
format = "json"
layout = "wide"
records = "/r"
timestamp_format = "epoch_ms"
[fields]
timestamp = "meta.t"
)", "test");
  ASSERT_TRUE(profile.ok()) << profile.status().message();
  Parsed p = ParseDocument(R"({"r": [{"meta": {"t": 1767225600000, "q": 3}, "temp": 19.5, "t": 7}]})", *profile);
  ASSERT_TRUE(p.status.ok()) << p.status.message();
  EXPECT_TRUE(p.report.errors.empty());
  std::sort(p.readings.begin(), p.readings.end());
  EXPECT_EQ(p.readings, (std::vector<std::string>{"meta.q 1767225600000 3", "t 1767225600000 7", "temp 1767225600000 19.5"}));
}

// Wide layout, flat records and records simdjson reads (a nested member):
// the same cells, booleans as 1 and 0, null as no reading, the first of
// duplicate keys, and a listed column looked up by key.
TEST(JsonRowsTest, WideFlatAndNestedRecordsGiveTheSameCells) {
  for (const bool listed : {false, true}) {
    Result<Profile> profile = LoadProfileString(fmt::format(R"(
format = "json"
layout = "wide"
records = "/r"
timestamp_format = "epoch_ms"
[fields]
timestamp = "t"
{}
)", listed ? "columns = [\"a\", \"b\", \"c\", \"d\"]" : "exclude = [\"n\"]"), "test");
    ASSERT_TRUE(profile.ok()) << profile.status().message();
    const std::string flat = R"({"t": 1767225600000, "a": 1.25, "b": true, "c": null, "d": "7", "a": 9})";
    const std::string nested = R"({"t": 1767225600000, "a": 1.25, "b": true, "c": null, "d": "7", "a": 9, "n": {}})";
    std::vector<std::string> out[2];
    for (int i = 0; i < 2; ++i) {
      const Parsed p = ParseDocument("{\"r\": [" + (i == 0 ? flat : nested) + "]}", *profile);
      ASSERT_TRUE(p.status.ok()) << p.status.message();
      out[i] = p.readings;
    }
    EXPECT_EQ(out[0], out[1]) << "listed " << listed;
    std::vector<std::string> sorted = out[0];
    std::sort(sorted.begin(), sorted.end());
    if (listed) {
      EXPECT_EQ(sorted, (std::vector<std::string>{"a 1767225600000 1.25", "b 1767225600000 1", "d 1767225600000 7"}));
    } else {  // every member: the duplicate "a" too
      EXPECT_EQ(sorted, (std::vector<std::string>{"a 1767225600000 1.25", "a 1767225600000 9", "b 1767225600000 1",
                                                  "d 1767225600000 7"}));
    }
  }
}

// Long layout: booleans are 1 and 0, null is no reading (a warning), a string
// is read with the profile's decimal separator; flat records and records
// simdjson reads (a nested member) alike.
TEST(JsonRowsTest, LongValuesOfEveryKind) {
  Result<Profile> profile = LoadProfileString(R"(
format = "json"
records = "/r"
timestamp_format = "epoch_ms"
decimal = ","
[fields]
module = "m"
timestamp = "t"
value = "v"
)", "test");
  ASSERT_TRUE(profile.ok()) << profile.status().message();
  for (const std::string extra : {"", R"(, "meta": {"n": 1})"}) {
    const Parsed p = ParseDocument(R"({"r": [{"m": "a", "t": 1767225600000, "v": true)" + extra + R"(},
{"m": "a", "t": 1767226200000, "v": false)" + extra + R"(},
{"m": "a", "t": 1767226800000, "v": null)" + extra + R"(},
{"m": "a", "t": 1767227400000, "v": "12,5")" + extra + R"(},
{"m": "a", "t": 1767228000000, "v": -2.5e1)" + extra + "}]}", *profile);
    ASSERT_TRUE(p.status.ok()) << p.status.message();
    EXPECT_EQ(p.readings, (std::vector<std::string>{"a 1767225600000 1", "a 1767226200000 0", "a 1767227400000 12.5",
                                                    "a 1767228000000 -25"}))
        << "nested: " << !extra.empty();
    EXPECT_TRUE(p.report.errors.empty());
  }
}

}  // namespace
}  // namespace telecollect::files
