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

}  // namespace
}  // namespace telecollect
