#include "core/json_writer.h"

#include <gtest/gtest.h>

namespace telecollect {
namespace {

TEST(JsonWriterTest, EscapesAndStructures) {
  JsonWriter w;
  w.BeginObject().Key("a").String("x\"y\\\n\x01").Key("n").Number(28.29).Key("arr").BeginArray().Int(1).Int(2).EndArray()
      .Key("nan").Number(0.0 / 0.0).Key("unit").String("°C").Key("bad").String("\xff").EndObject();
  EXPECT_EQ(w.str(), "{\"a\":\"x\\\"y\\\\\\n\\u0001\",\"n\":28.29,\"arr\":[1,2],\"nan\":null,\"unit\":\"°C\","
                     "\"bad\":\"\xEF\xBF\xBD\"}");
}

// Plain runs around and between escapes, at both ends, DEL, a truncated
// UTF-8 sequence at the end; integers at their limits.
TEST(JsonWriterTest, RunsBetweenEscapes) {
  std::string out;
  AppendJsonString(out, "ab\"cd\\\x7F\tz caf\xC3\xA9 fin\xC3");
  EXPECT_EQ(out, "\"ab\\\"cd\\\\\\u007f\\tz caf\xC3\xA9 fin\xEF\xBF\xBD\"");
  out.clear();
  AppendJsonString(out, "");
  EXPECT_EQ(out, "\"\"");
  out.clear();
  AppendJsonString(out, "\"");
  EXPECT_EQ(out, "\"\\\"\"");
  JsonWriter w;
  w.BeginArray().Int(INT64_MIN).Int(INT64_MAX).Int(0).Int(-7).EndArray();
  EXPECT_EQ(w.str(), "[-9223372036854775808,9223372036854775807,0,-7]");
}

}  // namespace
}  // namespace telecollect
