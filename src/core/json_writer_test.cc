#include "core/json_writer.h"

#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <random>

namespace telecollect {
namespace {

TEST(JsonWriterTest, EscapesAndStructures) {
  JsonWriter w;
  w.BeginObject().Key("a").String("x\"y\\\n\x01").Key("n").Number(28.29).Key("arr").BeginArray().Int(1).Int(2).EndArray()
      .Key("nan").Number(0.0 / 0.0).Key("unit").String("°C").Key("bad").String("\xff").EndObject();
  EXPECT_EQ(w.str(), "{\"a\":\"x\\\"y\\\\\\n\\u0001\",\"n\":28.29,\"arr\":[1,2],\"nan\":null,\"unit\":\"°C\","
                     "\"bad\":\"\xEF\xBF\xBD\"}");
}

TEST(JsonWriterTest, TimeIsAQuotedInstant) {
  JsonWriter w;
  w.Reserve(64);
  w.BeginArray().Time(1556456376599).Time(-1).EndArray();
  EXPECT_EQ(w.str(), "[\"2019-04-28T12:59:36.599Z\",\"1969-12-31T23:59:59.999Z\"]");
}

// AppendJsonNumber writes what std::to_chars writes (its decimal fast path
// included): readings with a few decimals, integers around the switch to the
// scientific form, and arbitrary doubles.
TEST(JsonWriterTest, NumbersAsToChars) {
  const auto expect_same = [](double v) {
    char buf[64];
    const std::string want(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
    std::string got;
    AppendJsonNumber(got, v);
    ASSERT_EQ(got, want) << "bits of the double differ in form";
  };
  for (double v : {0.0, -0.0, 1.0, -1.0, 0.001, 0.0001, 0.000001, 1e-7, 100000.0, 10000.0, 123456.0, 1e14, 1e15, 1e16,
                   999999999999999.0, 123456789012345.0, 0.1, 0.2, 0.30000000000000004, 35276.35, -12.5, 5e-324,
                   1.7976931348623157e308, 12345.678, 100.5, 1200.0, 1200000.0, 0.0012, 0.00012}) {
    expect_same(v);
  }
  std::mt19937_64 rng(21);
  const double pow10[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8};
  for (int i = 0; i < 300000; ++i) {
    const int digits = 1 + static_cast<int>(rng() % 17);
    uint64_t x = rng() % 100000000000000000ull;
    for (int d = 17; d > digits; --d) x /= 10;
    const double v = static_cast<double>(x) / pow10[rng() % 9] * ((rng() & 1) ? -1 : 1);
    expect_same(v);
    uint64_t bits = rng();
    double any;
    std::memcpy(&any, &bits, 8);
    if (std::isfinite(any)) expect_same(any);
  }
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
