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

TEST_F(ConnectorRunLeaseTest, ARunUnderAStaleFenceCommitsNothing) {
  const std::optional<int64_t> a = Lease("node-a", 1000);
  ASSERT_TRUE(a);
  store::RunRecord killed;  // node-a's earlier run, killed
  killed.connector = "c";
  killed.started = 500;
  ASSERT_TRUE(store_->StartRun(killed).ok());
  const std::optional<int64_t> b = Lease("node-b", 5000);  // node-a stalled past its lease: taken over
  ASSERT_TRUE(b);
  RunOptions o;
  o.fence = store::Fence{"connector:c", "node-a", *a};
  const store::RunRecord stale = RunConnector(*store_, connector_, clock_, o);
  EXPECT_EQ(stale.status, "lease_lost") << stale.message;
  EXPECT_EQ(stale.message.rfind("lease lost: connector:c", 0), 0u) << stale.message;
  EXPECT_EQ(stale.files_imported, 0);
  EXPECT_EQ(Journaled(), 0u);
  EXPECT_EQ(store_->ListModules(connector_.scope, "", "", 10)->size(), 0u);
  EXPECT_EQ((*store_->ListRuns("c", 2, std::nullopt))[1].status, "running");  // not closed by node-a
  // node-b, the holder: closes the killed run and imports every file.
  o.fence = store::Fence{"connector:c", "node-b", *b};
  const store::RunRecord current = RunConnector(*store_, connector_, clock_, o);
  EXPECT_EQ(current.status, "ok") << current.message;
  EXPECT_EQ(current.files_imported, 3);
  EXPECT_EQ((*store_->ListRuns("c", 3, std::nullopt))[2].status, "interrupted");
}

TEST_F(ConnectorRunLeaseTest, ALeaseTakenOverMidRunRefusesTheNextFileAndStopsTheRun) {
  const std::optional<int64_t> a = Lease("node-a", 1000);
  ASSERT_TRUE(a);
  RunOptions o;
  o.fence = store::Fence{"connector:c", "node-a", *a};
  int asked = 0;
  o.lease_lost = [&]() -> std::string {
    // Before the second file, node-b takes the lease over; node-a's keeper has not noticed yet.
    if (++asked == 2) {
      EXPECT_TRUE(Lease("node-b", 5000));
    }
    return "";
  };
  const store::RunRecord run = RunConnector(*store_, connector_, clock_, o);
  EXPECT_EQ(run.status, "lease_lost") << run.message;
  EXPECT_EQ(run.files_imported, 1);
  EXPECT_EQ(Journaled(), 1u);  // the second file refused, the third not tried
  EXPECT_EQ(asked, 2);
  EXPECT_EQ(store_->ListModules(connector_.scope, "", "", 10)->size(), 1u);
  EXPECT_EQ(LastRunStatus(), "lease_lost");
}

}  // namespace
}  // namespace telecollect::files
