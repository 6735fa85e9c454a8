#include "mqtt/topic_filter.h"

#include <gtest/gtest.h>
#include <mosquitto.h>

namespace telecollect::mqtt {
namespace {

struct Case {
  const char* filter;
  const char* topic;
  bool matches;
};

const Case kCases[] = {
    {"v3/app@ttn/devices/+/up", "v3/app@ttn/devices/dev-1/up", true},
    {"v3/app@ttn/devices/+/up", "v3/app@ttn/devices/dev-1/join", false},
    {"v3/app@ttn/devices/+/up", "v3/app@ttn/devices/dev-1/up/normalized", false},
    {"application/+/device/+/event/up", "application/0b1f/device/70b3d5e75e001122/event/up", true},
    {"application/+/device/+/event/up", "application/0b1f/device/70b3d5e75e001122/event/join", false},
    {"fifo/telecollect", "fifo/telecollect", true},
    {"fifo/telecollect", "fifo/telecollect2", false},
    {"a/#", "a", true},  // '#' also matches the parent level
    {"a/#", "a/b/c", true},
    {"a/#", "b", false},
    {"#", "a/b", true},
    {"+", "a", true},
    {"+", "a/b", false},
    {"a/+", "a/", true},  // an empty level is a level
    {"a/+", "a", false},
    {"+/+", "/x", true},
    {"/+", "/x", true},
    {"a/b", "a/b/", false},
    {"#", "$SYS/broker/load", false},  // '$' topics are not matched by a leading wildcard
    {"+/broker/load", "$SYS/broker/load", false},
    {"$SYS/#", "$SYS/broker/load", true},
};

TEST(TopicFilter, MatchesAsTheStandardSays) {
  for (const Case& c : kCases) {
    EXPECT_EQ(TopicMatches(c.filter, c.topic), c.matches) << c.filter << " vs " << c.topic;
  }
}

TEST(TopicFilter, AgreesWithLibmosquitto) {
  for (const Case& c : kCases) {
    bool result = false;
    ASSERT_EQ(mosquitto_topic_matches_sub(c.filter, c.topic, &result), MOSQ_ERR_SUCCESS) << c.filter;
    EXPECT_EQ(TopicMatches(c.filter, c.topic), result) << c.filter << " vs " << c.topic;
  }
}

TEST(TopicFilter, RefusesMisplacedWildcardsSayingWhere) {
  EXPECT_TRUE(CheckTopicFilter("v3/app@ttn/devices/+/up").ok());
  EXPECT_TRUE(CheckTopicFilter("#").ok());
  EXPECT_TRUE(CheckTopicFilter("a/+/#").ok());
  Status s = CheckTopicFilter("a/#/b");
  EXPECT_EQ(s.message(), "level 2 (\"#\"): '#' must be the last level");
  s = CheckTopicFilter("a/b+/c");
  EXPECT_EQ(s.message(), "level 2 (\"b+\"): '+' must fill a whole level");
  s = CheckTopicFilter("a/b#");
  EXPECT_EQ(s.message(), "level 2 (\"b#\"): '#' must fill a whole level");
  EXPECT_EQ(CheckTopicFilter("").message(), "a topic filter must not be empty");
  EXPECT_FALSE(CheckTopicFilter(std::string_view("a\0b", 3)).ok());
  EXPECT_FALSE(CheckTopicName("a/+").ok());
  EXPECT_TRUE(CheckTopicName("a/b").ok());
}

}  // namespace
}  // namespace telecollect::mqtt
