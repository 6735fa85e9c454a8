#include "files/csv_reader.h"

#include <gtest/gtest.h>

#include "files/test_file_util.h"

namespace telecollect::files {
namespace {

struct Parsed {
  std::vector<std::vector<std::string>> records;
  std::vector<int64_t> lines;
  std::string error;
};

Parsed ReadAll(const std::string& text, char delimiter = ';') {
  TempFile f(text);
  auto file = InputFile::Open(f.path());
  EXPECT_TRUE(file.ok());
  std::string part;
  EXPECT_TRUE(*(*file)->NextPart(part));
  TextReader tr(**file, Encoding::kAuto);
  CsvReader r(tr, {delimiter, '"'});
  Parsed p;
  std::vector<std::string_view> fields;
  int64_t line = 0;
  while (true) {
    Result<bool> more = r.Next(fields, line);
    if (!more.ok()) {
      p.error = more.status().message();
      break;
    }
    if (!*more) break;
    p.records.emplace_back(fields.begin(), fields.end());
    p.lines.push_back(line);
  }
  return p;
}

using Rec = std::vector<std::string>;

TEST(CsvReader, PlainCrlfBlankLinesAndNoFinalNewline) {
  Parsed p = ReadAll("a;b;c\r\n1;2;3\r\n\r\n\n4;;6");
  ASSERT_EQ(p.error, "");
  ASSERT_EQ(p.records.size(), 3u);
  EXPECT_EQ(p.records[1], (Rec{"1", "2", "3"}));
  EXPECT_EQ(p.records[2], (Rec{"4", "", "6"}));
  EXPECT_EQ(p.lines, (std::vector<int64_t>{1, 2, 5}));
}

TEST(CsvReader, QuotesDelimitersNewlinesAndDoubledQuotes) {
  Parsed p = ReadAll("\"x;y\";\"say \"\"hi\"\"\";\"two\nlines\"\nnext;\"\";z\n");
  ASSERT_EQ(p.error, "");
  ASSERT_EQ(p.records.size(), 2u);
  EXPECT_EQ(p.records[0], (Rec{"x;y", "say \"hi\"", "two\nlines"}));
  EXPECT_EQ(p.records[1], (Rec{"next", "", "z"}));
  EXPECT_EQ(p.lines, (std::vector<int64_t>{1, 3}));
}

TEST(CsvReader, UnterminatedQuoteIsAnErrorWithItsLine) {
  Parsed p = ReadAll("a;b\n1;\"open\n2;3\n");
  EXPECT_EQ(p.error, "line 2: quoted field not closed before the end of the file");
}

TEST(CsvReader, TextAfterClosingQuoteIsAnError) {
  Parsed p = ReadAll("a;b\n\"x\"y;2\n");
  EXPECT_NE(p.error.find("line 2"), std::string::npos);
}

TEST(CsvReader, RecordsAcrossBufferRefills) {
  std::string text;
  for (int i = 0; i < 200000; ++i) text += "module-" + std::to_string(i) + ";\"2026-01-01;00:00\";" + std::to_string(i) + "\n";
  Parsed p = ReadAll(text);
  ASSERT_EQ(p.error, "");
  ASSERT_EQ(p.records.size(), 200000u);
  EXPECT_EQ(p.records[123456], (Rec{"module-123456", "2026-01-01;00:00", "123456"}));
  EXPECT_EQ(p.lines.back(), 200000);
}

TEST(CsvReader, DetectsTheDelimiter) {
  EXPECT_EQ(DetectDelimiter("a;b;c\n1;2,5;3\n4;5,5;6\n", '"'), ';');
  EXPECT_EQ(DetectDelimiter("a,b,c\n1,2,3\n", '"'), ',');
  EXPECT_EQ(DetectDelimiter("a\tb\n1\t2\n", '"'), '\t');
  EXPECT_EQ(DetectDelimiter("\"a,b\";c\n\"1,2\";3\n", '"'), ';');
  EXPECT_EQ(DetectDelimiter("justone\nline\n", '"'), 0);
  Parsed p = ReadAll("a,b\n1,2\n", 0);
  EXPECT_EQ(p.records[1], (Rec{"1", "2"}));
}

}  // namespace
}  // namespace telecollect::files
