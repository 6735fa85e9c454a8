#include "push/generic_sensors.h"

#include <gtest/gtest.h>

namespace telecollect::push {
namespace {

constexpr EpochMs kNow = 1700000000000;  // 2023-11-14

ParsedFrames Parse(std::string_view body, std::string_view content_type = "application/json", size_t max_items = 100) {
  GenericSensorsEnvelope env;
  PushRequest req;
  req.body = body;
  req.content_type = content_type;
  req.received_at = kNow;
  req.max_items = max_items;
  return env.Parse(req);
}

void ExpectError(std::string_view body, std::optional<size_t> index, std::string_view field, std::string_view reason,
                 std::string_view content_type = "application/json") {
  ParsedFrames p = Parse(body, content_type);
  ASSERT_TRUE(p.error) << body;
  EXPECT_TRUE(p.frames.empty());
  EXPECT_EQ(p.error->index, index) << body << " → " << p.error->ToString();
  EXPECT_EQ(p.error->field, field) << body << " → " << p.error->ToString();
  EXPECT_NE(p.error->reason.find(reason), std::string::npos) << body << " → " << p.error->ToString();
}

TEST(GenericSensorsTest, TheBriefsFrame) {
  ParsedFrames p = Parse(R"({
    "timestamp": "2019-04-28T12:59:36.599Z",
    "deviceid": "123124",
    "payload": "2367A3B3C1DEFE",
    "devicetype": " fourni par Energisme"
  })");
  ASSERT_FALSE(p.error) << p.error->ToString();
  ASSERT_EQ(p.frames.size(), 1u);
  const Frame& f = p.frames[0];
  EXPECT_EQ(f.source, "generic-sensors");
  EXPECT_EQ(f.device_id, "123124");
  EXPECT_EQ(f.event_time, 1556456376599);
  EXPECT_EQ(f.received_at, kNow);
  EXPECT_EQ(EncodeHex(f.payload), "2367a3b3c1defe");
  EXPECT_EQ(f.device_type, " fourni par Energisme");
  EXPECT_FALSE(f.fport);
}

TEST(GenericSensorsTest, ArraysNdjsonAndTimestampForms) {
  ParsedFrames a = Parse(R"([{"timestamp": 1556456376, "deviceid": "a", "payload": "00"},
                              {"timestamp": 1556456376599, "deviceid": 42, "payload": "01", "fport": 2},
                              {"timestamp": "1556456376.5", "deviceid": "c", "payload": "", "metadata": {"rssi": -80}},
                              {"timestamp": "2019-04-28T14:59:36.123456+02:00", "deviceid": "d", "payload": "02"}])");
  ASSERT_FALSE(a.error) << a.error->ToString();
  ASSERT_EQ(a.frames.size(), 4u);
  EXPECT_EQ(a.frames[0].event_time, 1556456376000);
  EXPECT_EQ(a.frames[1].event_time, 1556456376599);
  EXPECT_EQ(a.frames[1].device_id, "42");
  EXPECT_EQ(a.frames[1].fport, 2);
  EXPECT_EQ(a.frames[2].event_time, 1556456376500);
  EXPECT_EQ(a.frames[2].metadata_json, R"({"rssi":-80})");
  EXPECT_EQ(a.frames[3].event_time, 1556456376123);

  const char* nd = "{\"timestamp\": 1556456376, \"deviceid\": \"a\", \"payload\": \"00\"}\n\n"
                   "{\"timestamp\": 1556456377, \"deviceid\": \"a\", \"payload\": \"00\"}\n";
  ParsedFrames n = Parse(nd, "application/x-ndjson");
  ASSERT_FALSE(n.error) << n.error->ToString();
  EXPECT_EQ(n.frames.size(), 2u);
  ParsedFrames sniffed = Parse(nd, "application/json");
  ASSERT_FALSE(sniffed.error) << sniffed.error->ToString();
  EXPECT_EQ(sniffed.frames.size(), 2u);
}

TEST(GenericSensorsTest, BadInputNamesTheItemAndField) {
  ExpectError("{", std::nullopt, "", "not valid JSON");
  ExpectError("", std::nullopt, "", "empty body");
  ExpectError("[]", std::nullopt, "", "empty batch");
  ExpectError("[1]", 0, "", "item is a JSON number");
  // The answer's "error" text names the item and the field, then says why.
  EXPECT_EQ((ItemError{3, "payload", "hex payload has an odd number of digits (3)", false}).ToString(),
            "item 3, field \"payload\": hex payload has an odd number of digits (3)");
  EXPECT_EQ((ItemError{std::nullopt, "", "not JSON", false}).ToString(), "not JSON");
  ExpectError(R"({"deviceid": "a", "payload": "00"})", 0, "timestamp", "is missing");
  ExpectError(R"({"timestamp": 1556456376, "payload": "00"})", 0, "deviceid", "is missing");
  ExpectError(R"({"timestamp": 1556456376, "deviceid": "a"})", 0, "payload", "is missing");
  ExpectError(R"({"timestamp": 1556456376, "deviceid": "a", "payload": "abc"})", 0, "payload", "odd number");
  ExpectError(R"({"timestamp": 1556456376, "deviceid": "a", "payload": "zz"})", 0, "payload", "non-hex character at position 0");
  ExpectError(R"({"timestamp": 1556456376, "deviceid": "a", "payload": 12})", 0, "payload", "must be a hex string, got number");
  ExpectError(R"({"timestamp": true, "deviceid": "a", "payload": "00"})", 0, "timestamp", "got boolean");
  ExpectError(R"({"timestamp": "2019-04-28T12:59:36", "deviceid": "a", "payload": "00"})", 0, "timestamp", "no UTC offset");
  ExpectError(R"({"timestamp": -5, "deviceid": "a", "payload": "00"})", 0, "timestamp", "before 1970");
  ExpectError(R"({"timestamp": "1960-01-01T00:00:00Z", "deviceid": "a", "payload": "00"})", 0, "timestamp", "before 1970");
  ExpectError(R"({"timestamp": "2090-01-01T00:00:00Z", "deviceid": "a", "payload": "00"})", 0, "timestamp", "max_future_skew");
  ExpectError(R"({"timestamp": 1556456376, "deviceid": "", "payload": "00"})", 0, "deviceid", "is empty");
  ExpectError(R"({"timestamp": 1556456376, "deviceid": ["a"], "payload": "00"})", 0, "deviceid", "got array");
  ExpectError(R"({"timestamp": 1556456376, "deviceid": "a", "payload": "00", "fport": 300})", 0, "fport", "0 to 255");
  ExpectError(R"({"timestamp": 1556456376, "deviceid": "a", "payload": "00", "devicetype": 3})", 0, "devicetype", "must be a string");
  ExpectError(R"({"timestamp": 1556456376, "deviceid": "a", "payload": "00", "metadata": 3})", 0, "metadata", "must be an object");
  ExpectError(R"([{"timestamp": 1556456376, "deviceid": "a", "payload": "00"},
                  {"timestamp": 1556456376, "deviceid": "b", "payload": "0"}])", 1, "payload", "odd number");
  ExpectError("{\"timestamp\": 1556456376, \"deviceid\": \"a\", \"payload\": \"00\"}\n{\"timestamp\": 1,",
              1, "", "line 2 is not valid JSON", "application/x-ndjson");
}

TEST(GenericSensorsTest, OversizedBatchIsFlagged) {
  std::string body = "[";
  for (int i = 0; i < 101; ++i) body += std::string(i ? "," : "") + R"({"timestamp": 1556456376, "deviceid": "a", "payload": "00"})";
  body += "]";
  ParsedFrames p = Parse(body);
  ASSERT_TRUE(p.error);
  EXPECT_TRUE(p.error->too_many_items);
}

TEST(EnvelopeTest, SourcesAndMediaTypes) {
  EXPECT_NE(FindEnvelope("generic-sensors"), nullptr);
  EXPECT_NE(FindEnvelope(" Generic-Sensors "), nullptr);
  EXPECT_EQ(FindEnvelope("sigfox-unknown"), nullptr);
  bool nd = false;
  EXPECT_TRUE(IsJsonMediaType("application/json; charset=utf-8", &nd));
  EXPECT_FALSE(nd);
  EXPECT_TRUE(IsJsonMediaType("application/x-ndjson", &nd));
  EXPECT_TRUE(nd);
  EXPECT_TRUE(IsJsonMediaType("", &nd));
  EXPECT_FALSE(IsJsonMediaType("application/x-www-form-urlencoded", &nd));
  EXPECT_FALSE(IsJsonMediaType("application/xml", &nd));
}

}  // namespace
}  // namespace telecollect::push
