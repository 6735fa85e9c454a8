#include "files/file_import.h"

#include <gtest/gtest.h>

#include <fstream>

#include "files/file_parser.h"
#include "files/row_mapper.h"
#include "store/store_test_util.h"

namespace telecollect::files {
namespace {

using store::TempDir;

constexpr const char* kProfile = R"(
format = "csv"
delimiter = ";"
decimal = ","
timestamp_format = "%Y-%m-%d %H:%M"
unit = "kWh"

[fields]
module = "point"
timestamp = "date"
value = "valeur"
)";

class FileImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions o;
    store_ = std::move(store::OpenSqliteStore(dir_.path() + "/t.db", o)).value();
    profile_ = *LoadProfileString(kProfile, "enedis.toml");
  }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string p = dir_.path() + "/" + name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  Result<ImportOutcome> Import(const std::string& path, const Profile& profile) {
    return ImportFile(*store_, scope_, profile, path, {"c1", path, 1, 2}, 1000);
  }
  std::vector<store::Point> Points(const std::string& module) {
    store::MeasurementQuery q;
    q.scope = scope_;
    q.module = module;
    Result<std::vector<store::Point>> r = store_->QueryMeasurements(q);
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kNotFound) << r.status().message();
    }
    return r.ok() ? *r : std::vector<store::Point>();
  }

  TempDir dir_;
  std::unique_ptr<store::Store> store_;
  Profile profile_;
  Scope scope_{"acme", Env::kPreprod};
};

TEST_F(FileImportTest, ImportsOnceThenSeesTheDuplicate) {
  const std::string p = Write("a.csv", "point;date;valeur\nP1;2026-01-01 00:00;1,5\nP1;2026-01-01 00:10;2\nP2;2026-01-01 00:00;3\n");
  Result<ImportOutcome> first = Import(p, profile_);
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(first->kind, ImportOutcome::Kind::kImported);
  EXPECT_EQ(first->record.readings, 3);
  EXPECT_EQ(first->record.sha256.size(), 64u);
  ASSERT_EQ(Points("P1").size(), 2u);
  EXPECT_EQ(Points("P1")[0].value, 1.5);

  // Same content under another name: nothing new.
  const std::string copy = Write("renamed.csv", "point;date;valeur\nP1;2026-01-01 00:00;1,5\nP1;2026-01-01 00:10;2\nP2;2026-01-01 00:00;3\n");
  Result<ImportOutcome> again = Import(copy, profile_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->kind, ImportOutcome::Kind::kDuplicate);
  EXPECT_EQ(again->record.id, first->record.id);
  // Journaled as a duplicate (newest first), nothing of it written.
  Result<std::vector<store::FileRecord>> journal = store_->ListFiles({});
  ASSERT_EQ(journal->size(), 2u);
  EXPECT_EQ((*journal)[0].status, "duplicate");
  EXPECT_EQ((*journal)[0].path, copy);
  EXPECT_EQ((*journal)[0].sha256, first->record.sha256);
  EXPECT_EQ((*journal)[0].readings, 0);
  EXPECT_EQ(again->journaled.status, "duplicate");
  EXPECT_EQ(store_->ListFiles({Scope{"acme", Env::kProd}, std::nullopt, 10, std::nullopt})->size(), 0u);
  EXPECT_EQ(store_->ListFiles({scope_, std::string("c1"), 10, std::nullopt})->size(), 2u);

  Result<std::optional<store::FileRecord>> found = store_->FindFile("c1", p, 1, 2);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->status, "imported");
  auto modules = store_->ListModules(scope_, "", "", 10);
  ASSERT_EQ(modules->size(), 2u);
  EXPECT_EQ((*modules)[0].unit, "kWh");
}

TEST_F(FileImportTest, ABadRowRejectsTheWholeFileAndIsJournaled) {
  const std::string p = Write("b.csv", "point;date;valeur\nP1;2026-01-01 00:00;1\nP1;2026-01-01 00:10;oops\n");
  Result<ImportOutcome> r = Import(p, profile_);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, ImportOutcome::Kind::kRejected);
  EXPECT_TRUE(Points("P1").empty());
  ASSERT_EQ(r->report.errors.size(), 1u);
  EXPECT_EQ(r->report.errors[0].line, 3);
  auto files = *store_->ListFiles({std::nullopt, std::string("c1"), 10, std::nullopt});
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].status, "rejected");
  EXPECT_EQ(files[0].errors, 1);
  EXPECT_NE(files[0].report_json.find("\"line\":3"), std::string::npos);

  Profile skip = profile_;
  skip.skip_bad_rows = true;
  Result<ImportOutcome> s = Import(p, skip);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->kind, ImportOutcome::Kind::kImported);
  EXPECT_EQ(s->record.errors, 1);
  EXPECT_EQ(Points("P1").size(), 1u);

  // A skipped row creates no module: a "Total" footer line is not a meter.
  const std::string footer = Write("f.csv", "point;date;valeur\nP2;2026-01-01 00:00;1\nTotal;;1\n");
  Result<ImportOutcome> f = Import(footer, skip);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->kind, ImportOutcome::Kind::kImported);
  EXPECT_EQ(f->record.errors, 1);
  EXPECT_EQ(f->report.modules, 1);
  auto modules = store_->ListModules(scope_, "", "", 10);
  ASSERT_TRUE(modules.ok());
  ASSERT_EQ(modules->size(), 2u);  // P1, P2
  EXPECT_EQ((*modules)[1].name, "P2");
}

TEST_F(FileImportTest, AFileBrokenAfterManyChunksLeavesNothing) {
  std::string text = "point;date;valeur\n";
  for (int i = 0; i < 150000; ++i) text += "M" + std::to_string(i % 50) + ";2026-01-0" + std::to_string(1 + i / 50 / 1440 % 5) +
                                          " " + std::to_string(i / 50 % 1440 / 60) + ":" + std::to_string(i / 50 % 60) + ";1\n";
  text += "M1;\"2026-01-01 00:00;1\n";  // unterminated quote at the end: the file is unreadable
  const std::string p = Write("c.csv", text);
  Result<ImportOutcome> r = Import(p, profile_);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, ImportOutcome::Kind::kRejected);
  EXPECT_GT(r->report.readings, int64_t{RowMapper::kChunk});  // chunks did reach the store
  EXPECT_TRUE(Points("M1").empty());                          // and were rolled back
  EXPECT_TRUE(store_->ListModules(scope_, "", "", 10)->empty());
}

TEST_F(FileImportTest, ValidateStoresNothing) {
  const std::string p = Write("d.csv", "point;date;valeur\nP1;2026-01-01 00:00;1\n");
  ImportReport r = ValidateFile(p, profile_);
  EXPECT_EQ(r.readings, 1);
  EXPECT_TRUE(Points("P1").empty());
  ImportReport missing = ValidateFile(dir_.path() + "/nope.csv", profile_);
  ASSERT_EQ(missing.errors.size(), 1u);
  EXPECT_NE(missing.errors[0].message.find("cannot open"), std::string::npos);
}

TEST_F(FileImportTest, RunsAreRecorded) {
  store::RunRecord run;
  run.connector = "c1";
  run.started = 5;
  Result<int64_t> id = store_->StartRun(run);
  ASSERT_TRUE(id.ok());
  run.id = *id;
  run.finished = 9;
  run.status = "failed";
  run.message = "login denied";
  ASSERT_TRUE(store_->FinishRun(run).ok());
  auto runs = *store_->ListRuns(std::string("c1"), 5, std::nullopt);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].status, "failed");
  EXPECT_EQ(runs[0].message, "login denied");
}

}  // namespace
}  // namespace telecollect::files
