#include "files/text_reader.h"

#include <gtest/gtest.h>

#include "files/test_file_util.h"

namespace telecollect::files {
namespace {

std::string Decode(const std::string& bytes, Encoding e, Encoding* detected = nullptr, bool* bom = nullptr) {
  TempFile f(bytes);
  auto file = InputFile::Open(f.path());
  EXPECT_TRUE(file.ok());
  std::string part;
  EXPECT_TRUE(*(*file)->NextPart(part));
  TextReader r(**file, e);
  std::string out;
  char buf[64];  // small reads: exercise carries
  while (true) {
    Result<size_t> n = r.Read(buf, sizeof buf);
    EXPECT_TRUE(n.ok());
    if (!n.ok() || *n == 0) break;
    out.append(buf, *n);
  }
  if (detected) *detected = r.encoding();
  if (bom) *bom = r.had_bom();
  return out;
}

TEST(TextReader, Utf8BomIsStripped) {
  Encoding d;
  bool bom = false;
  EXPECT_EQ(Decode("\xEF\xBB\xBFpoint;valeur\n", Encoding::kAuto, &d, &bom), "point;valeur\n");
  EXPECT_EQ(d, Encoding::kUtf8);
  EXPECT_TRUE(bom);
}

TEST(TextReader, AutoFallsBackToWindows1252) {
  Encoding d;
  EXPECT_EQ(Decode("Compteur \xC9t\xE9 \x80\n", Encoding::kAuto, &d), "Compteur Été €\n");
  EXPECT_EQ(d, Encoding::kWindows1252);
  EXPECT_EQ(Decode("caf\xC3\xA9\n", Encoding::kAuto, &d), "café\n");
  EXPECT_EQ(d, Encoding::kUtf8);
}

TEST(TextReader, DeclaredLatin1) { EXPECT_EQ(Decode("\xB0" "C", Encoding::kLatin1), "°C"); }

TEST(TextReader, Utf16LittleAndBigEndianWithSurrogates) {
  // "é😀" in UTF-16LE with BOM, repeated past one read buffer.
  std::string le = "\xFF\xFE", be = "\xFE\xFF", expect;
  for (int i = 0; i < 50; ++i) {
    le += std::string("\xE9\x00\x3D\xD8\x00\xDE", 6);
    be += std::string("\x00\xE9\xD8\x3D\xDE\x00", 6);
    expect += "é😀";
  }
  EXPECT_EQ(Decode(le, Encoding::kAuto), expect);
  EXPECT_EQ(Decode(be, Encoding::kAuto), expect);
}

TEST(TextReader, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("d\xC3\xA9j\xC3\xA0"));
  EXPECT_FALSE(IsValidUtf8("\xC3"));
  EXPECT_TRUE(IsValidUtf8("\xC3", true));
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));  // surrogate
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));      // overlong
  EXPECT_FALSE(ParseEncoding("ebcdic").ok());
}

}  // namespace
}  // namespace telecollect::files
