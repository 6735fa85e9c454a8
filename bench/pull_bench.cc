// API pull benchmark (make bench): the hot path of a pull once an answer is in
// memory — mapping vendor answers into readings, then committing windows with
// their watermark — against references run in the same invocation:
//   parse    simdjson DOM parse of the same answers, nothing else (the ceiling)
//   map      MapAnswer under the Enedis preset mapping (nested records, strings
//            to numbers, local end-stamped times → UTC interval starts, DST rule)
//   ndjson   the same for GRDF-shaped NDJSON (status line checked and skipped)
//   commit   one window (readings + watermark) per transaction, fsync'ed, into SQLite
//   write    the same readings through Store::Write, one batch per window (reference)
// Prints one line per mode. Timing is reported, never asserted.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <simdjson.h>

#include "pull/answer.h"
#include "pull/preset_mappings.h"
#include "store/sqlite_store.h"

using namespace telecollect;

namespace {

double Now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// A 7-day Enedis 2026 load-curve answer (336 half-hour points): week w % 10 of
// January to mid-March (winter time, +01:00) of year 2026 + w / 10.
std::string EnedisWeek(int w) {
  std::tm jan1{};
  jan1.tm_year = 126 + w / 10;
  jan1.tm_mday = 1;
  const int64_t base = static_cast<int64_t>(timegm(&jan1)) + int64_t(w % 10) * 7 * 86400;
  std::string s = R"({"idPrm":"12345678901234","etapeMetier":"BEST","grandeur":[{"grandeurMetier":"CONS","grandeurPhysique":"PA","unite":"W","points":[)";
  for (int i = 0; i < 336; ++i) {
    const int64_t t = base + int64_t(i + 1) * 1800;
    const time_t local = static_cast<time_t>(t + 3600);
    std::tm tm{};
    gmtime_r(&local, &tm);
    char d[32];
    std::strftime(d, sizeof d, "%Y-%m-%d %H:%M:%S", &tm);
    s += fmt::format(R"({}{{"v":"{}","d":"{}","p":"PT30M","n":"B"}})", i ? "," : "", 100 + (i * 37) % 900, d);
  }
  return s + "]}]}";
}

std::string GrdfMonth(int m) {
  std::string s;
  for (int i = 0; i < 31; ++i) {
    const int day = m * 31 + i;
    s += fmt::format(R"({{"pce":{{"id_pce":"GI123456"}},"consommation":{{"date_debut_consommation":"2026-01-01T06:00:00+01:00","date_fin_consommation":"2026-01-02T06:00:00+01:00","volume_brut":{},"energie":{},"statut_conso":"Provisoire","type_conso":"JJ","journee_gaziere":"d{}"}},"statut_restitution":null}})",
                     day * 0.5, day * 5.5, day);
    s += "\n";
  }
  return s + R"({"code_statut_traitement":"0000000000","message_retour_traitement":"ok"})" + "\n";
}

struct Discard final : ReadingWriter {
  Status Add(const std::vector<ModuleDef>&, std::span<const Reading> rs) override {
    n += rs.size();
    return Status::Ok();
  }
  size_t n = 0;
};

using Keep = pull::CollectingWriter;

files::Profile Mapping(const char* text, bool module_given) { return *files::LoadProfileString(text, "bench", module_given); }

void Line(const char* mode, int answers, size_t readings, size_t bytes, double secs) {
  std::printf("%-7s answers=%d readings=%zu seconds=%.3f answers_per_s=%.0f readings_per_s=%.0f mb_per_s=%.1f\n", mode,
              answers, readings, secs, answers / secs, readings / secs, bytes / secs / 1e6);
}

}  // namespace

int main(int argc, char** argv) {
  const int weeks = argc > 1 ? std::atoi(argv[1]) : 2000;
  std::vector<std::string> enedis, grdf;
  size_t enedis_bytes = 0, grdf_bytes = 0;
  for (int w = 0; w < 100; ++w) {
    enedis.push_back(EnedisWeek(w));
    enedis_bytes += enedis.back().size();
    grdf.push_back(GrdfMonth(w));
    grdf_bytes += grdf.back().size();
  }
  files::Profile enedis_map = Mapping(pull::kEnedisLoadCurveMapping, true);
  enedis_map.module_fixed = "enedis.12345678901234.load_curve";
  files::Profile grdf_map = Mapping(pull::kGrdfAdictMapping, false);
  grdf_map.skip_records_with = "/code_statut_traitement";
  pull::ResponseChecks checks;
  checks.status_paths = {"/code_statut_traitement", "/statut_restitution/code_statut_traitement"};
  checks.status_ok = {"0000000000"};

  // parse: the ceiling.
  simdjson::dom::parser parser;
  size_t elements = 0;
  double t0 = Now();
  for (int i = 0; i < weeks; ++i) {
    simdjson::dom::element doc;
    if (parser.parse(enedis[i % 100]).get(doc) == simdjson::SUCCESS) elements += 336;
  }
  Line("parse", weeks, elements, enedis_bytes / 100 * weeks, Now() - t0);

  Discard sink;
  t0 = Now();
  for (int i = 0; i < weeks; ++i) {
    files::ImportReport report;
    pull::AnswerInfo info;
    if (!pull::MapAnswer(enedis[i % 100], enedis_map, {}, {}, sink, report, info).ok() || report.error_count) {
      std::fprintf(stderr, "mapping failed: %s\n", report.ToText().c_str());
      return 1;
    }
  }
  Line("map", weeks, sink.n, enedis_bytes / 100 * weeks, Now() - t0);

  Discard gsink;
  t0 = Now();
  for (int i = 0; i < weeks; ++i) {
    files::ImportReport report;
    pull::AnswerInfo info;
    if (!pull::MapAnswer(grdf[i % 100], grdf_map, checks, {}, gsink, report, info).ok()) return 1;
  }
  Line("ndjson", weeks, gsink.n, grdf_bytes / 100 * weeks, Now() - t0);

  // commit vs write: 200 windows of one week each.
  const std::string dir = std::filesystem::temp_directory_path() / ("tc_pull_bench_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const int windows = 200;
  std::vector<Keep> kept(windows);
  for (int w = 0; w < windows; ++w) {
    files::ImportReport report;
    pull::AnswerInfo info;
    (void)pull::MapAnswer(enedis[w % 100], enedis_map, {}, {}, kept[w], report, info);
    for (Reading& r : kept[w].readings) r.ts += int64_t(w / 100) * 20 * 366 * 86400000LL;  // distinct weeks
  }
  {
    auto store = store::SqliteStore::Open(StoreOptions{}, dir + "/commit.db");
    size_t n = 0;
    t0 = Now();
    for (int w = 0; w < windows; ++w) {
      Status s = (*store)->ImportWindow({"bench", Env::kPreprod}, "bench", "watermark:1", std::to_string(w),
                                        [&](ReadingWriter& out) { return out.Add(kept[w].modules, kept[w].readings); }, std::nullopt);
      if (!s.ok()) return 1;
      n += kept[w].readings.size();
    }
    Line("commit", windows, n, 0, Now() - t0);
  }
  {
    auto store = store::SqliteStore::Open(StoreOptions{}, dir + "/write.db");
    size_t n = 0;
    t0 = Now();
    for (int w = 0; w < windows; ++w) {
      store::WriteBatch b;
      b.scope = {"bench", Env::kPreprod};
      for (const Reading& r : kept[w].readings) b.measurements.push_back({kept[w].modules[r.module].name, r.ts, r.value, "W", 0});
      const store::WriteBatch* p = &b;
      if (!(*store)->Write(std::span<const store::WriteBatch* const>(&p, 1)).ok() || !(*store)->Sync().ok()) return 1;
      n += b.measurements.size();
    }
    Line("write", windows, n, 0, Now() - t0);
  }
  std::filesystem::remove_all(dir);
  return 0;
}
