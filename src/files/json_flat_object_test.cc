// The flat-object reader: what it takes, what it leaves to simdjson, and that
// what it takes it reads as simdjson does.
#include "files/json_flat_object.h"

#include <gtest/gtest.h>

#include <cstring>

#include <simdjson.h>

namespace telecollect::files {
namespace {

using Kind = JsonValue::Kind;

// simdjson's reading of `text` equals `members` (keys, kinds, values, order).
void ExpectSameAsSimdjson(std::string_view text, const std::vector<JsonMember>& members) {
  simdjson::dom::parser parser;
  const simdjson::padded_string padded(text);
  simdjson::dom::object obj;
  ASSERT_EQ(parser.parse(padded).get_object().get(obj), simdjson::SUCCESS) << text;
  size_t i = 0;
  for (simdjson::dom::key_value_pair kv : obj) {
    ASSERT_LT(i, members.size()) << text;
    const JsonMember& m = members[i++];
    EXPECT_EQ(kv.key, m.key) << text;
    const simdjson::dom::element e = kv.value;
    switch (m.value.kind) {
      case Kind::kString: EXPECT_EQ(e.get_string().value(), m.value.text) << text; break;
      case Kind::kInt64: EXPECT_EQ(e.get_int64().value(), m.value.i64) << text; break;
      case Kind::kUint64:
        EXPECT_EQ(e.type(), simdjson::dom::element_type::UINT64) << text;
        EXPECT_EQ(e.get_uint64().value(), m.value.u64) << text;
        break;
      case Kind::kDouble: EXPECT_EQ(e.type(), simdjson::dom::element_type::DOUBLE) << text; break;
      case Kind::kNull: EXPECT_TRUE(e.is_null()) << text; break;
      case Kind::kTrue: EXPECT_TRUE(e.get_bool().value()) << text; break;
      case Kind::kFalse: EXPECT_FALSE(e.get_bool().value()) << text; break;
      case Kind::kObjectOrArray: ADD_FAILURE() << "the flat reader gave a container: " << text; break;
    }
    if (m.value.kind == Kind::kInt64 || m.value.kind == Kind::kUint64 || m.value.kind == Kind::kDouble) {
      const double want = e.get_double().value();
      EXPECT_EQ(std::memcmp(&want, &m.value.number, sizeof want), 0) << text << ": " << want << " vs " << m.value.number;
    }
  }
  EXPECT_EQ(i, members.size()) << text;
}

TEST(JsonFlatObjectTest, ReadsScalarMembersInOrder) {
  std::vector<JsonMember> m;
  const std::string_view text = R"( {"s":"Bâtiment A", "i":-42,"u":18446744073709551615,"d":12.5,"e":-1.5E-3,
    "z":null,"t":true,"f":false,"s":"again"} )";
  ASSERT_TRUE(ParseFlatJsonObject(text, m));
  ASSERT_EQ(m.size(), 9u);
  EXPECT_EQ(m[0].key, "s");
  EXPECT_EQ(m[0].value.text, "Bâtiment A");
  EXPECT_EQ(m[1].value.kind, Kind::kInt64);
  EXPECT_EQ(m[1].value.i64, -42);
  EXPECT_EQ(m[2].value.kind, Kind::kUint64);
  EXPECT_EQ(m[3].value.number, 12.5);
  EXPECT_EQ(m[4].value.number, -1.5e-3);
  EXPECT_EQ(m[5].value.kind, Kind::kNull);
  EXPECT_EQ(m[6].value.kind, Kind::kTrue);
  EXPECT_EQ(m[7].value.kind, Kind::kFalse);
  EXPECT_EQ(m[8].value.text, "again");  // duplicates are kept, in order
  ExpectSameAsSimdjson(text, m);
  EXPECT_TRUE(ParseFlatJsonObject("{}", m));
  EXPECT_TRUE(m.empty());
}

TEST(JsonFlatObjectTest, ReadsTheObjectAtTheStartAndCountsItsLines) {
  std::vector<JsonMember> m;
  int64_t lines = 0;
  const std::string_view text = "{\"a\":\n1,\r\n\"b\" : \"x\"}\n,{\"c\":2}";
  EXPECT_EQ(ReadFlatJsonObject(text, m, lines), text.find('}') + 1);
  EXPECT_EQ(lines, 2);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[1].value.text, "x");
  // Cut anywhere before its closing brace: not read (the caller reads more).
  for (size_t cut = 0; cut < text.find('}') + 1; ++cut) {
    EXPECT_EQ(ReadFlatJsonObject(text.substr(0, cut), m, lines), 0u) << cut;
  }
}

TEST(JsonFlatObjectTest, LeavesEverythingElseToSimdjson) {
  std::vector<JsonMember> m;
  for (const char* text : {
           R"({"a":{"b":1}})", R"({"a":[1]})",                       // nested
           R"({"a":"x\"y"})", R"({"a\u0041":1})",                   // escapes
           "{\"a\":\"x\ty\"}", "{\"a\":\"x\x01\"}",                 // control characters
           "{\"a\":\"\xC3\x28\"}", "{\"a\":\"\xFF\"}",              // invalid UTF-8
           R"({"a":01})", R"({"a":1.})", R"({"a":.5})", R"({"a":+1})", R"({"a":-})", R"({"a":1e})", R"({"a":1e+})",
           R"({"a":0x10})", R"({"a":1.5.2})", R"({"a":NaN})", R"({"a":Infinity})",
           R"({"a":18446744073709551616})", R"({"a":-9223372036854775809})", R"({"a":1e400})",  // out of range
           R"({"a":tru})", R"({"a":nul})", R"({"a":truex})", R"({"a":1x})",
           R"({"a":1,})", R"({"a" 1})", R"({a:1})", R"({"a":1 "b":2})", R"({,})", R"({"a":1}})", R"({"a":1} x)",
           R"([1])", R"("a")", "", "{", R"({"a":"x)", R"({'a':1})"}) {
    EXPECT_FALSE(ParseFlatJsonObject(text, m)) << text;
  }
}

TEST(JsonFlatObjectTest, NumbersAsSimdjsonReadsThem) {
  std::vector<JsonMember> m;
  for (const char* number : {"0", "-0", "-0.0", "0.1", "-12.5", "123456789012345", "1234567890123456", "0.30000000000000004",
                             "9007199254740993", "-9223372036854775808", "9223372036854775807", "9223372036854775808",
                             "12345678901234567890", "1e0", "1E+2", "2.5e-3", "1e-400", "4.9e-324", "1.7976931348623157e308",
                             "0.000000000000000000001", "123.456789012345678", "999999999999999.9"}) {
    const std::string text = std::string("{\"v\":") + number + "}";
    if (!ParseFlatJsonObject(text, m)) continue;  // then simdjson reads it: nothing to compare
    ExpectSameAsSimdjson(text, m);
  }
  // The common forms are read here, not left to simdjson.
  for (const char* number : {"0", "-12.5", "123456789012345", "2.5e-3", "12345678901234567890"}) {
    EXPECT_TRUE(ParseFlatJsonObject(std::string("{\"v\":") + number + "}", m)) << number;
  }
}

}  // namespace
}  // namespace telecollect::files
