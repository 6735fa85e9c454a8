#include "push/device_directory.h"

#include <gtest/gtest.h>

#include <future>

#include <sqlite3.h>

#include "push/push_service.h"
#include "store/store_test_util.h"

namespace telecollect::push {
namespace {

TEST(DeviceDirectoryTest, CachesAndSeesOtherWritersAfterTheTtl) {
  store::TempDir dir;
  auto s = store::OpenSqliteStore(dir.path() + "/d.db");
  ASSERT_TRUE(s.ok());
  ManualClock clock(1000);
  DeviceDirectory devices(**s, clock, 5000);
  Scope scope{"acme", Env::kPreprod};
  EXPECT_FALSE(devices.Find(scope, "A1"));
  std::vector<store::Device> d = {{"A1", "t", "", ""}};
  ASSERT_TRUE((*s)->UpsertDevices(scope, d).ok());  // another writer
  EXPECT_FALSE(devices.Find(scope, "A1"));          // still the cached answer
  clock.Advance(5001);
  ASSERT_TRUE(devices.Find(scope, "A1"));
  EXPECT_EQ(devices.Find(scope, "A1")->device_type, "t");
  EXPECT_FALSE(devices.Find(scope, "A"));  // a prefix is not a device
  std::vector<store::Device> e = {{"A1", "u", "", ""}};
  ASSERT_TRUE(devices.Update(scope, e).ok());
  EXPECT_EQ(devices.Find(scope, "A1")->device_type, "u");  // at once through Update
}

TEST(DeviceDirectoryTest, AnswersStayCachedUntilTheRegistryChanges) {
  store::TempDir dir;
  const std::string path = dir.path() + "/d.db";
  auto s = store::OpenSqliteStore(path);
  ASSERT_TRUE(s.ok());
  ManualClock clock(1000);
  DeviceDirectory devices(**s, clock, 5000);
  Scope scope{"acme", Env::kPreprod};
  std::vector<store::Device> d;
  for (int i = 0; i < 100; ++i) d.push_back({"D" + std::to_string(i), "t", "", ""});
  ASSERT_TRUE((*s)->UpsertDevices(scope, d).ok());
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(devices.Find(scope, "D" + std::to_string(i)));
  EXPECT_FALSE(devices.Find(scope, "E1"));
  // Another writer changes one device: seen once the ttl has passed.
  std::vector<store::Device> changed = {{"D7", "u", "", ""}};
  ASSERT_TRUE((*s)->UpsertDevices(scope, changed).ok());
  EXPECT_EQ(devices.Find(scope, "D7")->device_type, "t");
  clock.Advance(5001);
  EXPECT_EQ(devices.Find(scope, "D7")->device_type, "u");
  EXPECT_EQ(devices.Find(scope, "D3")->device_type, "t");  // read again after the change
  // The registry's version stays: the answers are not read again however long
  // it lasts. (Rows edited behind the store's back, which does not bump the
  // version, show that nothing is read.)
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, "UPDATE devices SET device_type = 'edited'", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  EXPECT_EQ((*(*s)->ListDevices(scope, "D3", 1))[0].device_type, "edited");
  clock.Advance(600000);
  EXPECT_EQ(devices.Find(scope, "D3")->device_type, "t");
  EXPECT_EQ(devices.Find(scope, "D7")->device_type, "u");
  EXPECT_FALSE(devices.Find(scope, "E1"));
}

TEST(DeviceDirectoryTest, RegisteredTypeAndModuleNamingApplyToPushedFrames) {
  store::TempDir dir;
  auto s = store::OpenSqliteStore(dir.path() + "/d.db");
  ASSERT_TRUE(s.ok());
  store::GroupCommitter committer(**s, 10, 10000);
  decode::DecoderRegistry registry;
  auto dt = decode::LoadDeclarativeSpec(
      "devicetype='counter'\naliases=['ACME/COUNTER']\n[[variant]]\n[[variant.field]]\nname='index'\noffset=0\ntype='u8'\n",
      "c");
  ASSERT_TRUE(dt.ok());
  ASSERT_TRUE(registry.Activate(std::move(dt).value()).ok());
  ASSERT_NE(registry.Find("acme/counter"), nullptr);
  Metrics metrics;
  ManualClock clock(1700000000000);
  DeviceDirectory devices(**s, clock, 5000);
  Scope scope{"acme", Env::kPreprod};
  std::vector<store::Device> d = {{"M1", "counter", "meter 1", "site-a/{deviceid}/{field}"}};
  ASSERT_TRUE(devices.Update(scope, d).ok());
  PushService service(registry, committer, metrics, PushOptions{}, clock, &devices);
  std::promise<PushResponse> p;
  PushService::Route route;
  route.source = "generic-sensors";
  route.default_device_type = "something-else";  // the registry comes first
  service.Push(scope, route, "application/json", R"({"timestamp": 1600000000, "deviceid": "M1", "payload": "07"})",
               [&](PushResponse r) { p.set_value(std::move(r)); });
  PushResponse r = p.get_future().get();
  EXPECT_NE(r.body.find("\"decoded\":1"), std::string::npos) << r.body;
  auto mods = (*s)->ListModules(scope, "", "", 10);
  ASSERT_EQ(mods->size(), 1u);
  EXPECT_EQ((*mods)[0].name, "site-a/M1/index");
}

}  // namespace
}  // namespace telecollect::push
