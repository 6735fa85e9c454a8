// A connector run and its lease: it stops between files once the lease is
// lost, and its commits are fenced by the lease it was given.
#include "files/connector_run.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "store/store_test_util.h"

namespace telecollect::files {
namespace {

using store::TempDir;

class ConnectorRunLeaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(store::OpenSqliteStore(dir_.path() + "/t.db")).value();
    std::filesystem::create_directories(dir_.path() + "/inbox");
    Write("profile.toml", "format = \"csv\"\ndelimiter = \";\"\ntimestamp_format = \"%Y-%m-%d %H:%M\"\nunit = \"kWh\"\n"
                          "[fields]\nmodule = \"point\"\ntimestamp = \"date\"\nvalue = \"valeur\"\n");
    for (const char* day : {"01", "02", "03"}) {
      Write(std::string("inbox/day-") + day + ".csv",
            std::string("point;date;valeur\nPDL-") + day + ";2026-11-" + day + " 00:00;1.5\n");
    }
    Write("c.toml", "tenant = \"acme\"\nenv = \"preprod\"\nprofile = \"profile.toml\"\n[source]\nurl = \"inbox\"\n"
                    "pattern = \"*.csv\"\nstable_for = \"0s\"\nafter_import = \"leave\"\n");
    Result<Connector> c = LoadConnectorFile(dir_.path() + "/c.toml", dir_.path() + "/secrets.toml");
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    connector_ = std::move(c).value();
  }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_.path() + "/" + name, std::ios::binary) << text;
  }
  std::optional<int64_t> Lease(const std::string& holder, EpochMs now) {
    return *store_->TryLease("connector:c", holder, now, 1000);
  }
  size_t Journaled() { return store_->ListFiles(store::FileQuery{})->size(); }
  std::string LastRunStatus() { return (*store_->ListRuns("c", 1, std::nullopt))[0].status; }

  TempDir dir_;
  std::unique_ptr<store::Store> store_;
  Connector connector_;
  SystemClock clock_;
};

TEST_F(ConnectorRunLeaseTest, ALostLeaseStopsTheRunBetweenFiles) {
  RunOptions o;
  int asked = 0;
  o.lease_lost = [&asked]() -> std::string {
    return ++asked > 1 ? "lease lost: connector:c is held by another holder" : "";
  };
  const store::RunRecord run = RunConnector(*store_, connector_, clock_, o);
  EXPECT_EQ(run.status, "lease_lost") << run.message;
  EXPECT_EQ(run.files_imported, 1);
  EXPECT_EQ(run.message, "lease lost: connector:c is held by another holder");
  EXPECT_EQ(Journaled(), 1u);  // the files after it were not touched
  EXPECT_EQ(LastRunStatus(), "lease_lost");
}

}  // namespace
}  // namespace telecollect::files
