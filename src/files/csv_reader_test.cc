#include "files/csv_reader.h"

#include <gtest/gtest.h>

#include <random>

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

// Random documents against what the generator wrote: plain and quoted fields
// (delimiters, line ends and doubled quotes inside), LF and CRLF, blank lines,
// empty fields, no final newline; big enough for several buffer refills, so
// records straddle the read buffer and the reader's index windows.
TEST(CsvReader, RandomDocumentsReadAsWritten) {
  for (uint32_t seed : {1u, 2u, 3u, 4u}) {
    std::mt19937 rng(seed);
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); };
    std::string text;
    Parsed want;
    int64_t line = 1;
    const int records = seed == 1 ? 60000 : 2000;
    for (int r = 0; r < records; ++r) {
      while (pick(20) == 0) {  // blank lines
        text += pick(2) ? "\r\n" : "\n";
        ++line;
      }
      Rec rec;
      bool any_quoted = false;
      const int64_t first_line = line;
      const int n = 1 + pick(6);
      for (int f = 0; f < n; ++f) {
        if (f) text += ';';
        std::string value;
        const int len = pick(3) == 0 ? 0 : 1 + pick(pick(10) == 0 ? 300 : 12);
        const bool quoted = pick(4) == 0;
        for (int k = 0; k < len; ++k) {
          const int kind = pick(quoted ? 12 : 10);
          if (quoted && kind == 10) value += pick(2) ? ';' : '\n';
          else if (quoted && kind == 11) value += '"';
          else value += static_cast<char>('a' + pick(26));
        }
        any_quoted = any_quoted || quoted;
        if (quoted) {
          text += '"';
          for (char c : value) {
            text += c;
            if (c == '"') text += '"';
            if (c == '\n') ++line;
          }
          text += '"';
        } else {
          text += value;
        }
        rec.push_back(value);
      }
      // A record of one empty unquoted field is a blank line: skipped.
      if (!(rec.size() == 1 && rec[0].empty() && !any_quoted)) {
        want.records.push_back(rec);
        want.lines.push_back(first_line);
      }
      if (r + 1 < records || pick(2)) {
        text += pick(3) == 0 ? "\r\n" : "\n";
        ++line;
      }
    }
    Parsed got = ReadAll(text);
    ASSERT_EQ(got.error, "") << seed;
    ASSERT_EQ(got.records.size(), want.records.size()) << seed;
    for (size_t i = 0; i < want.records.size(); ++i) {
      ASSERT_EQ(got.records[i], want.records[i]) << "seed " << seed << ", record " << i;
      ASSERT_EQ(got.lines[i], want.lines[i]) << "seed " << seed << ", record " << i;
    }
  }
}

TEST(CsvReader, FieldsLongerThanAnIndexWindow) {
  const std::string big(100000, 'x');  // no delimiter, line end or quote for several windows
  Parsed p = ReadAll("a;" + big + ";b\n" + big + "\nc;d\n" + big);
  ASSERT_EQ(p.error, "");
  ASSERT_EQ(p.records.size(), 4u);
  EXPECT_EQ(p.records[0], (Rec{"a", big, "b"}));
  EXPECT_EQ(p.records[1], (Rec{big}));
  EXPECT_EQ(p.records[2], (Rec{"c", "d"}));
  EXPECT_EQ(p.records[3], (Rec{big}));
  EXPECT_EQ(p.lines, (std::vector<int64_t>{1, 2, 3, 4}));
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
