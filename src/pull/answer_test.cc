#include "pull/answer.h"
#include "pull/preset_mappings.h"

#include <gtest/gtest.h>

namespace telecollect::pull {
namespace {

using Collect = CollectingWriter;

files::Profile Mapping(const char* toml, bool module_given) {
  Result<files::Profile> p = files::LoadProfileString(toml, "test [mapping]", module_given);
  EXPECT_TRUE(p.ok()) << p.status().message();
  return p.ok() ? *p : files::Profile();
}

TEST(MapAnswer, EnedisPointsEndStampedWithTheirOwnStep) {
  files::Profile m = Mapping(kEnedisLoadCurveMapping, true);
  m.module_fixed = "enedis.1.load_curve";
  const std::string body = R"({"idPrm":"1","grandeur":[{"grandeurMetier":"CONS","unite":"W","points":[
    {"v":"100","d":"2026-10-25 00:10:00","p":"PT10M","n":"B"},
    {"v":"200","d":"2026-10-25 00:30:00","p":"PT20M","n":"B"},
    {"v":"300","d":"2026-10-25 01:00:00","p":"PT30M","n":"B"}]}]})";
  Collect sink;
  files::ImportReport report;
  AnswerInfo info;
  ASSERT_TRUE(MapAnswer(body, m, {}, {}, sink, report, info).ok());
  EXPECT_EQ(report.error_count, 0) << report.ToText();
  ASSERT_EQ(sink.readings.size(), 3u);
  EXPECT_EQ(info.records, 3);
  ASSERT_EQ(sink.modules.size(), 1u);
  EXPECT_EQ(sink.modules[0].name, "enedis.1.load_curve");
  EXPECT_EQ(sink.modules[0].unit, "W");
  // Local 00:00, 00:10, 00:30 (UTC+2) = 22:00, 22:10, 22:30 the day before.
  EXPECT_EQ(sink.readings[0].ts, *ParseIso8601("2026-10-24T22:00:00Z"));
  EXPECT_EQ(sink.readings[1].ts, *ParseIso8601("2026-10-24T22:10:00Z"));
  EXPECT_EQ(sink.readings[2].ts, *ParseIso8601("2026-10-24T22:30:00Z"));
  EXPECT_EQ(sink.readings[2].value, 300);
}

TEST(MapAnswer, StatusLinesAreCheckedAndSkipped) {
  files::Profile m = Mapping(kGrdfAdictMapping, false);
  m.skip_records_with = "/code_statut_traitement";
  ResponseChecks checks;
  checks.status_paths = {"/code_statut_traitement", "/statut_restitution/code_statut_traitement"};
  checks.status_ok = {"0000000000"};
  checks.message_paths = {"/message_retour_traitement"};
  const std::string good =
      "{\"pce\":{\"id_pce\":\"GI1\"},\"consommation\":{\"date_debut_consommation\":\"2026-01-01T06:00:00+01:00\","
      "\"energie\":12.5},\"statut_restitution\":null}\r\n"
      "{\"code_statut_traitement\":\"0000000000\",\"message_retour_traitement\":\"ok\"}\n";
  Collect sink;
  files::ImportReport report;
  AnswerInfo info;
  ASSERT_TRUE(MapAnswer(good, m, checks, {}, sink, report, info).ok());
  EXPECT_TRUE(info.business_error.empty()) << info.business_error;
  EXPECT_EQ(report.error_count, 0) << report.ToText();
  ASSERT_EQ(sink.readings.size(), 1u);
  EXPECT_EQ(info.records, 1);
  const std::string bad = "{\"code_statut_traitement\":\"1000000011\",\"message_retour_traitement\":\"Droit expiré\"}\n";
  Collect none;
  ASSERT_TRUE(MapAnswer(bad, m, checks, {}, none, report, info).ok());
  EXPECT_EQ(info.business_error, "/code_statut_traitement = 1000000011: Droit expiré");
  EXPECT_TRUE(none.readings.empty());
}

TEST(MapAnswer, ARecordCarryingItsOwnErrorIsLeftOutAndNamed) {
  files::Profile m = Mapping(kGrdfAdictMapping, false);
  m.skip_records_with = "/code_statut_traitement";
  ResponseChecks checks;
  checks.status_paths = {"/code_statut_traitement"};
  checks.status_ok = {"0000000000"};
  checks.record_status_paths = {"/statut_restitution/code_statut_traitement"};
  checks.record_message_paths = {"/statut_restitution/message_retour_traitement"};
  auto day = [](int d, const char* energy, const char* status) {
    return "{\"pce\":{\"id_pce\":\"GI1\"},\"consommation\":{\"date_debut_consommation\":\"2026-01-0" + std::to_string(d) +
           "T06:00:00+01:00\",\"energie\":" + energy + "},\"statut_restitution\":" + status + "}\n";
  };
  const std::string body = day(1, "12.5", "null") +
                           day(2, "null", "{\"code_statut_traitement\":\"1000000005\",\"message_retour_traitement\":\"Aucune donnée\"}") +
                           day(3, "13.5", "{\"code_statut_traitement\":\"0000000000\"}") +
                           "{\"code_statut_traitement\":\"0000000000\",\"message_retour_traitement\":\"ok\"}\n";
  Collect sink;
  files::ImportReport report;
  AnswerInfo info;
  ASSERT_TRUE(MapAnswer(body, m, checks, {}, sink, report, info).ok());
  EXPECT_TRUE(info.business_error.empty()) << info.business_error;
  EXPECT_EQ(report.error_count, 0) << report.ToText();
  ASSERT_EQ(sink.readings.size(), 2u);
  EXPECT_EQ(sink.readings[1].value, 13.5);
  ASSERT_EQ(info.bad_records.size(), 1u);
  EXPECT_EQ(info.bad_records[0].line, 2);
  EXPECT_EQ(info.bad_records[0].timestamp, "2026-01-02T06:00:00+01:00");
  EXPECT_EQ(info.bad_records[0].message, "/statut_restitution/code_statut_traitement = 1000000005: Aucune donnée");
}

TEST(MapAnswer, ErrorInside200AndPagingFields) {
  files::Profile m = Mapping(R"(format = "json"
records = "/data"
timestamp_format = "epoch_s"
[fields]
module = "id"
timestamp = "t"
value = "v"
)", false);
  ResponseChecks checks;
  checks.error_paths = {"/error"};
  Pagination pg;
  pg.cursor_path = "/meta/next";
  pg.next_path = "/links/next";
  Collect sink;
  files::ImportReport report;
  AnswerInfo info;
  ASSERT_TRUE(MapAnswer(R"({"data":[{"id":"a","t":1767225600,"v":1}],"error":null,"meta":{"next":"c2"},"links":{"next":"/p2"}})",
                        m, checks, pg, sink, report, info)
                  .ok());
  EXPECT_EQ(info.cursor, "c2");
  EXPECT_EQ(info.next_url, "/p2");
  EXPECT_EQ(sink.readings.size(), 1u);
  ASSERT_TRUE(MapAnswer(R"({"error":{"code":42,"message":"quota"}})", m, checks, pg, sink, report, info).ok());
  EXPECT_EQ(info.business_error, R"(/error: {"code":42,"message":"quota"})");
  // A malformed answer stops the reading with a precise error.
  EXPECT_FALSE(MapAnswer("{\"data\": [", m, {}, {}, sink, report, info).ok() && report.error_count == 0);
}

}  // namespace
}  // namespace telecollect::pull
