#include "files/sniff.h"

#include <gtest/gtest.h>

#include <ctime>

#include "files/csv_reader.h"

#include "files/file_parser.h"
#include "files/test_file_util.h"

namespace telecollect::files {
namespace {

struct Sniffed {
  Profile profile;
  std::string notes;
  ImportReport report;
};

Sniffed Sniff(const std::string& bytes, const std::string& suffix) {
  TempFile f(bytes, suffix);
  Result<SniffResult> r = SniffProfile(f.path());
  EXPECT_TRUE(r.ok()) << r.status().message();
  Sniffed s;
  if (!r.ok()) return s;
  s.profile = r->profile;
  for (const auto& n : r->notes) s.notes += n + "\n";
  // The proposed profile must read its own sample without error.
  Result<Profile> again = LoadProfileString(ProfileToToml(s.profile), "sniffed.toml");
  EXPECT_TRUE(again.ok()) << again.status().message() << "\n" << ProfileToToml(s.profile);
  s.report = ValidateFile(f.path(), again.ok() ? *again : s.profile);
  EXPECT_EQ(s.report.error_count, 0) << s.report.ToText() << s.notes;
  return s;
}

TEST(Sniff, FrenchLongCsv) {
  Sniffed s = Sniff("\xEF\xBB\xBFPoint de comptage;Horodatage;Valeur (kWh)\r\n"
                    "PDL-1;25/10/2026 01:30;12,5\r\nPDL-1;25/10/2026 02:00;1 012,5\r\nPDL-2;25/10/2026 01:30;3\r\n",
                    ".csv");
  EXPECT_EQ(s.profile.layout, Profile::Layout::kLong);
  EXPECT_EQ(s.profile.delimiter, ';');
  EXPECT_EQ(s.profile.number.decimal, ',');
  EXPECT_EQ(s.profile.number.thousands, ' ');
  EXPECT_EQ(s.profile.module.name, "Point de comptage");
  EXPECT_EQ(s.profile.timestamp[0].name, "Horodatage");
  EXPECT_EQ(s.profile.timestamp_format, "%d/%m/%Y %H:%M");
  EXPECT_EQ(s.profile.value.name, "Valeur (kWh)");
  EXPECT_EQ(s.profile.timezone, "Europe/Paris");
  EXPECT_EQ(s.report.readings, 3);
}

// An Enedis SGE load-curve export (R63): the export's period start and end are
// date-times on every row; the reading's own time is "Horodate". Windows-1252.
TEST(Sniff, TimestampIsTheDateTimeColumnThatVaries) {
  Sniffed s = Sniff("Identifiant PRM;Date de d\xe9" "but;Date de fin;Grandeur physique;Unit\xe9;Horodate;Valeur;Pas\r\n"
                    "09111642617347;2026-03-01T00:00:00+01:00;2026-03-08T00:00:00+01:00;PA;W;2026-03-01T00:30:00+01:00;1234;PT30M\r\n"
                    "09111642617347;2026-03-01T00:00:00+01:00;2026-03-08T00:00:00+01:00;PA;W;2026-03-01T01:00:00+01:00;1180;PT30M\r\n"
                    "09111642617347;2026-03-01T00:00:00+01:00;2026-03-08T00:00:00+01:00;PA;W;2026-03-01T01:30:00+01:00;1175;PT30M\r\n",
                    ".csv");
  ASSERT_EQ(s.profile.timestamp.size(), 1u);
  EXPECT_EQ(s.profile.timestamp[0].name, "Horodate");
  EXPECT_EQ(s.profile.module.name, "Identifiant PRM");
  EXPECT_EQ(s.profile.value.name, "Valeur");
  EXPECT_EQ(s.report.readings, 3);
  EXPECT_EQ(s.report.warnings.count("duplicate_timestamp"), 0u) << s.report.ToText();
}

// A short meter number is all digits, like a value: its name says it is the module.
TEST(Sniff, NumberedModuleColumnIsTheModule) {
  Sniffed s = Sniff("compteur;date;heure;index;\n12345;01/03/2026;00:00;1520;\n12345;01/03/2026;00:10;1524;\n"
                    "12346;01/03/2026;00:00;880;\n",
                    ".csv");
  EXPECT_EQ(s.profile.layout, Profile::Layout::kLong);
  EXPECT_EQ(s.profile.module.name, "compteur");
  EXPECT_EQ(s.profile.value.name, "index");
  EXPECT_EQ(s.report.readings, 3);
  EXPECT_EQ(s.report.modules, 2);
}

// A building-management export: a second header line gives each column's unit.
TEST(Sniff, UnitsRowUnderTheHeader) {
  Sniffed s = Sniff("Date;T salle 1;T salle 2\r\n;\xb0" "C;\xb0" "C\r\n01/03/2026 00:00;19,5;20,1\r\n01/03/2026 01:00;19,4;20,0\r\n",
                    ".csv");
  EXPECT_TRUE(s.profile.units_row);
  EXPECT_EQ(s.profile.layout, Profile::Layout::kWide);
  EXPECT_EQ(s.report.readings, 4);
  ASSERT_FALSE(s.report.sample.empty());
  EXPECT_EQ(s.report.sample[0].unit, "\xc2\xb0" "C");
}

// Spreadsheets group digits with a no-break space: "1 234,5" is a number.
TEST(Sniff, NoBreakSpaceGroupsDigits) {
  Sniffed s = Sniff("Date;Conso\n2026-03-01 00:00:00;1\xc2\xa0" "234,5\n2026-03-01 00:10:00;1\xe2\x80\xaf" "240,0\n", ".csv");
  EXPECT_EQ(s.profile.layout, Profile::Layout::kWide);
  EXPECT_EQ(s.profile.number.decimal, ',');
  EXPECT_EQ(s.profile.number.thousands, ' ');
  ASSERT_EQ(s.report.sample.size(), 2u);
  EXPECT_EQ(s.report.sample[0].value, 1234.5);
  EXPECT_EQ(s.report.sample[1].value, 1240);
}

// A total line at the end of the file has no timestamp: the proposal skips
// (and reports) bad rows rather than rejecting the file for it.
TEST(Sniff, FooterLineWithoutTimestampIsSkipped) {
  TempFile f("PRM;Date;Conso\n123;01/03/2026 00:00;12,5\n123;01/03/2026 00:30;13,5\nTotal;;26\n", ".csv");
  Result<SniffResult> r = SniffProfile(f.path());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->profile.skip_bad_rows);
  EXPECT_EQ(r->profile.module.name, "PRM");
  ImportReport report = ValidateFile(f.path(), r->profile);
  EXPECT_EQ(report.readings, 2);
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_EQ(report.errors[0].line, 4);

  // Not when the timestamp-less line is not the last: that is a bad row to see.
  TempFile g("PRM;Date;Conso\n123;01/03/2026 00:00;12,5\n123;;13,5\n123;01/03/2026 01:00;14\n", ".csv");
  r = SniffProfile(g.path());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_FALSE(r->profile.skip_bad_rows);
}

// Values in a nested object are columns named with dots; a free-text member
// (a note per record, nothing repeats) is no module.
TEST(Sniff, NestedJsonValuesAreWideColumns) {
  Sniffed s = Sniff(R"([{"ts":"2026-03-01T00:00:00Z","values":{"temp":19.5,"hum":40},"note":"x"},
                        {"ts":"2026-03-01T00:10:00Z","values":{"temp":19.6,"hum":41},"note":"y"}])",
                    ".json");
  EXPECT_EQ(s.profile.layout, Profile::Layout::kWide);
  ASSERT_EQ(s.profile.exclude.size(), 1u);
  EXPECT_EQ(s.profile.exclude[0], "note");
  EXPECT_EQ(s.report.readings, 4);
  ASSERT_FALSE(s.report.sample.empty());
  EXPECT_EQ(s.report.sample[0].module, "values.temp");
}

TEST(Sniff, WideCsvWithTextColumnExcluded) {
  Sniffed s = Sniff("timestamp,boiler_1,boiler_2,comment\n2026-01-01T00:00:00Z,1.5,2,ok\n2026-01-01T00:10:00Z,1.75,2.5,\n",
                    ".csv");
  EXPECT_EQ(s.profile.layout, Profile::Layout::kWide);  // "comment" has blanks: not a module
  ASSERT_EQ(s.profile.exclude.size(), 1u);
  EXPECT_EQ(s.profile.exclude[0], "comment");
  EXPECT_EQ(s.report.readings, 4);
}

TEST(Sniff, WideCsv) {
  Sniffed s = Sniff("Date;Salle 1;Salle 2\n2026-08-01 10:00;19,5;20\n2026-08-01 11:00;19,75;20,5\n", ".csv");
  EXPECT_EQ(s.profile.layout, Profile::Layout::kWide);
  EXPECT_EQ(s.profile.interval_ms, 3600000);
  EXPECT_EQ(s.report.readings, 4);
}

TEST(Sniff, EmptyHeaderNameIsReferencedByColumnNumber) {
  // A trailing delimiter on the header line leaves the value column without a name.
  Sniffed s = Sniff("Horodatage;Compteur;\n2026-01-15 00:10;C-1;12,5\n2026-01-15 00:20;C-1;13\n", ".csv");
  EXPECT_EQ(s.profile.layout, Profile::Layout::kLong);
  EXPECT_EQ(s.profile.module.name, "Compteur");
  EXPECT_EQ(s.profile.value.index, 3);
  EXPECT_EQ(s.report.readings, 2);
}

TEST(Sniff, WideCsvSkipsColumnsWithoutAUsableName) {
  Sniffed s = Sniff("ts,a,a,,b\n2026-01-01T00:00:00Z,1,2,3,4\n2026-01-01T00:10:00Z,1,2,3,4\n", ".csv");
  EXPECT_EQ(s.profile.layout, Profile::Layout::kWide);
  ASSERT_EQ(s.profile.columns.size(), 1u) << s.notes;
  EXPECT_EQ(s.profile.columns[0].name, "b");
  EXPECT_EQ(s.report.readings, 2);
}

TEST(Sniff, HeaderlessWithPreambleAndDateTimeColumns) {
  Sniffed s = Sniff("Export SGE\nGenere le 02/02/2026\n12345678901234;01/02/2026;00:30;17\n12345678901234;01/02/2026;01:00;18\n",
                    ".csv");
  EXPECT_EQ(s.profile.skip_rows, 2) << s.notes;
  EXPECT_FALSE(s.profile.header);
  EXPECT_EQ(s.profile.module.index, 1);
  ASSERT_EQ(s.profile.timestamp.size(), 2u);
  EXPECT_EQ(s.profile.timestamp_format, "%d/%m/%Y %H:%M");
  EXPECT_EQ(s.profile.value.index, 4);
}

TEST(Sniff, NestedJson) {
  Sniffed s = Sniff(R"({"meters":[{"id":"e1","readings":[{"t":"2026-07-01T00:00:00+02:00","v":"3,5"},{"t":"2026-07-01T01:00:00+02:00","v":4}]}]})",
                    ".json");
  EXPECT_EQ(s.profile.records, "/meters/*/readings");
  EXPECT_EQ(s.profile.module.name, "../id");
  EXPECT_EQ(s.profile.number.decimal, ',');
  EXPECT_EQ(s.report.readings, 2);
}

TEST(Sniff, UnitBesideTheModuleIdIsProposedForJsonAsForXml) {
  Sniffed j = Sniff(R"({"meters":[{"id":"EM-01","unit":"kWh","readings":[{"t":"2026-07-01T00:00:00+02:00","v":3.5},)"
                    R"({"t":"2026-07-01T01:00:00+02:00","v":4}]}]})",
                    ".json");
  EXPECT_EQ(j.profile.module.name, "../id") << j.notes;
  EXPECT_EQ(j.profile.unit_field.name, "../unit") << j.notes;
  EXPECT_EQ(j.report.readings, 2);
  Sniffed x = Sniff("<export><meter id=\"M1\" unit=\"kWh\"><r ts=\"2026-02-01 10:00\" v=\"1.5\"/>"
                    "<r ts=\"2026-02-01 10:10\" v=\"2\"/></meter></export>",
                    ".xml");
  EXPECT_EQ(x.profile.module.name, "../@id") << x.notes;
  EXPECT_EQ(x.profile.unit_field.name, "../@unit") << x.notes;
  EXPECT_EQ(x.report.readings, 2);
}

TEST(Sniff, Ndjson) {
  Sniffed s = Sniff("{\"sensor\":\"t1\",\"ts\":1780000000,\"temp\":21.5}\n{\"sensor\":\"t2\",\"ts\":1780000600,\"temp\":-3}\n", ".log");
  EXPECT_EQ(s.profile.format, Profile::Format::kNdjson);
  EXPECT_EQ(s.profile.timestamp_format, "epoch");
}

TEST(Sniff, XmlAttributes) {
  Sniffed s = Sniff("<export><meter id=\"M1\"><r ts=\"2026-02-01 10:00\" v=\"1.5\"/><r ts=\"2026-02-01 10:10\" v=\"2\"/></meter></export>",
                    ".xml");
  EXPECT_EQ(s.profile.records, "/export/meter/r");
  EXPECT_EQ(s.profile.module.name, "../@id");
  EXPECT_EQ(s.report.readings, 2);
}

TEST(Sniff, NamespaceDeclarationsAreNotFields) {
  Sniffed s = Sniff("<m:export xmlns:m=\"urn:m\"><m:meter id=\"M1\">"
                    "<r xmlns=\"urn:m\" xmlns:x=\"urn:x\" ts=\"2026-02-01 10:00\" v=\"1.5\"/>"
                    "<r xmlns=\"urn:m\" xmlns:x=\"urn:x\" ts=\"2026-02-01 10:10\" v=\"2\"/></m:meter></m:export>",
                    ".xml");
  EXPECT_EQ(s.profile.records, "/export/meter/r");
  EXPECT_EQ(s.profile.module.name, "../@id");  // not "@xmlns" or "@x"
  EXPECT_EQ(s.report.readings, 2);
}

TEST(Sniff, SaysWhyItCannot) {
  TempFile f("just some text\nwithout columns\n", ".csv");
  Result<SniffResult> r = SniffProfile(f.path());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("delimiter"), std::string::npos);
}


// A wide file with long column names that share a prefix: every step that
// compares each column with every other one (the uniqueness of header names,
// a name lookup per profile column) costs width² × name length and takes
// 9 s of CPU (sniffing) to minutes (a lookup per column); the linear steps
// about 1.3 s. The bound is on the process's CPU time, not the wall clock, so
// that a loaded machine does not make it fail.
std::string WideCsv(size_t width, std::string& columns_toml) {
  const std::string prefix(160, 'm');
  std::string header = "timestamp", row1 = "2026-01-01T00:00:00Z", row2 = "2026-01-01T01:00:00Z";
  columns_toml = "columns = [";
  for (size_t i = 0; i < width; ++i) {
    const std::string name = prefix + std::to_string(i);
    header += ";" + name;
    row1 += ";1";
    row2 += ";2";
    columns_toml += (i ? ", \"" : "\"") + name + "\"";
  }
  columns_toml += "]\n";
  return header + "\n" + row1 + "\n" + row2 + "\n";
}

// How much slower this build runs than an optimized one: the ASan+UBSan Debug
// build of `make test` runs this test about 20 times slower.
#if defined(__SANITIZE_ADDRESS__)
constexpr double kBuildSlowdown = 20;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr double kBuildSlowdown = 20;
#else
constexpr double kBuildSlowdown = 1;
#endif
#else
constexpr double kBuildSlowdown = 1;
#endif

// 40,000 columns: about 1.3 s of CPU in an optimized build; the quadratic
// header check this replaced took about 9 s of CPU (29 s on a loaded machine),
// so the bound sits between the two, scaled for sanitizer builds.
TEST(Sniff, WideHeaderTakesLinearTime) {
  std::string columns;
  TempFile f(WideCsv(40000, columns), ".csv");
  const std::clock_t start = std::clock();
  Result<SniffResult> r = SniffProfile(f.path());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->profile.layout, Profile::Layout::kWide);
  Result<Profile> p = LoadProfileString("format = \"csv\"\ndelimiter = \";\"\nlayout = \"wide\"\n"
                                        "timestamp_format = \"iso8601\"\n[fields]\ntimestamp = \"timestamp\"\n" + columns,
                                        "wide.toml");
  ASSERT_TRUE(p.ok()) << p.status().message();
  ImportReport report = ValidateFile(f.path(), *p);
  EXPECT_EQ(report.error_count, 0) << report.ToText();
  EXPECT_EQ(report.readings, 80000);
  EXPECT_LT(double(std::clock() - start) / CLOCKS_PER_SEC, 5.0 * kBuildSlowdown);
}

TEST(Sniff, RecordWiderThanTheCapIsAClearError) {
  std::string columns;
  // An upload, read from memory: the error names it as its sender did.
  Result<std::unique_ptr<InputFile>> in = InputFile::FromMemory(WideCsv(kMaxCsvFields + 10, columns), "wide.csv");
  ASSERT_TRUE(in.ok());
  Result<SniffResult> r = SniffInput(**in);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("cannot propose a profile for wide.csv: line 1: more than 50000 fields, the most a record may have"),
            std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace telecollect::files
