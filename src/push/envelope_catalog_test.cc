#include "push/envelope_catalog.h"

#include <gtest/gtest.h>

#include "push/envelope.h"
#include "store/store_test_util.h"

namespace telecollect::push {
namespace {

std::string Toml(const std::string& version, const std::string& device_id_path) {
  return "name = 'acme-relay'\nversion = '" + version + "'\ndevice_id = '" + device_id_path +
         "'\npayload = 'hex'\n";
}

// The device id the scope's `acme-relay` envelope reads from {"a": "A1", "b": "B2", "hex": "01"}, or "" when
// the scope has no such envelope.
std::string DeviceIdSeen(const Scope& scope) {
  auto e = FindEnvelope(scope, "acme-relay");
  if (!e) return "";
  PushRequest req;
  req.body = R"({"a": "A1", "b": "B2", "hex": "01"})";
  req.received_at = 1741594502000;
  ParsedFrames p = e->Parse(req);
  return p.error || p.frames.size() != 1 ? "error" : p.frames[0].device_id;
}

class EnvelopeCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::OpenSqliteStore(dir_.path() + "/c.db");
    ASSERT_TRUE(s.ok());
    store_ = std::move(s).value();
    SetScopedEnvelopes({});
  }
  void TearDown() override { SetScopedEnvelopes({}); }
  store::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  const Scope preprod_{"acme", Env::kPreprod}, prod_{"acme", Env::kProd}, other_{"globex", Env::kPreprod};
};

TEST_F(EnvelopeCatalogTest, UploadActivateRollBackPerTenantAndEnv) {
  auto v1 = UploadEnvelopeVersion(*store_, preprod_, Toml("1", "a"), "acme-relay", true, 1000);
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  EXPECT_TRUE(v1->activated);
  EXPECT_EQ(DeviceIdSeen(preprod_), "A1");
  EXPECT_EQ(DeviceIdSeen(prod_), "");   // the other env does not have it
  EXPECT_EQ(DeviceIdSeen(other_), "");  // nor another tenant
  const auto known = KnownSources(preprod_);
  EXPECT_NE(std::find(known.begin(), known.end(), "acme-relay"), known.end());
  const auto known_other = KnownSources(other_);
  EXPECT_EQ(std::find(known_other.begin(), known_other.end(), "acme-relay"), known_other.end());

  // Version 2 stored, not active; then active; then back to 1; then none.
  ASSERT_TRUE(UploadEnvelopeVersion(*store_, preprod_, Toml("2", "b"), "", false, 2000).ok());
  EXPECT_EQ(DeviceIdSeen(preprod_), "A1");
  ASSERT_TRUE(ActivateEnvelopeVersion(*store_, preprod_, "acme-relay", "2", 3000).ok());
  EXPECT_EQ(DeviceIdSeen(preprod_), "B2");
  ASSERT_TRUE(ActivateEnvelopeVersion(*store_, preprod_, "acme-relay", "1", 4000).ok());
  EXPECT_EQ(DeviceIdSeen(preprod_), "A1");
  EXPECT_EQ(ActivateEnvelopeVersion(*store_, prod_, "acme-relay", "1", 4000).code(), StatusCode::kNotFound);
  ASSERT_TRUE(ActivateEnvelopeVersion(*store_, preprod_, "acme-relay", "", 5000).ok());
  EXPECT_EQ(DeviceIdSeen(preprod_), "");

  // Another process on the same store: loaded from the store at its refresh.
  ASSERT_TRUE(ActivateEnvelopeVersion(*store_, preprod_, "acme-relay", "2", 6000).ok());
  SetScopedEnvelopes({});
  std::string signature;
  auto problems = LoadActiveEnvelopeVersions(*store_, &signature);
  ASSERT_TRUE(problems.ok());
  EXPECT_TRUE(problems->empty());
  EXPECT_EQ(DeviceIdSeen(preprod_), "B2");
  SetScopedEnvelopes({});
  ASSERT_TRUE(LoadActiveEnvelopeVersions(*store_, &signature).ok());  // unchanged: not reloaded
  EXPECT_EQ(DeviceIdSeen(preprod_), "");
}

TEST_F(EnvelopeCatalogTest, RefusedUploadSaysLineAndKeyAndStoresNothing) {
  EnvelopeSpecError where;
  auto bad = UploadEnvelopeVersion(*store_, preprod_,
                                   "name = 'acme-relay'\nversion = '1'\ndevice_id = 'a'\npayload = 'hex'\n"
                                   "payload_encoding = 'hexa'\n",
                                   "acme-relay", true, 1000, &where);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(where.line, 5);
  EXPECT_EQ(where.key, "payload_encoding");
  EXPECT_NE(bad.status().message().find("line 5: payload_encoding: must be hex, base64 or json"), std::string::npos)
      << bad.status().message();

  where = {};
  auto unknown = UploadEnvelopeVersion(*store_, preprod_, Toml("1", "a") + "paylod = 'x'\n", "", true, 1000, &where);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(where.line, 5);
  EXPECT_EQ(where.key, "paylod");

  where = {};
  auto no_version = UploadEnvelopeVersion(*store_, preprod_, "name = 'acme-relay'\ndevice_id = 'a'\npayload = 'hex'\n",
                                          "", true, 1000, &where);
  ASSERT_FALSE(no_version.ok());
  EXPECT_EQ(where.key, "version");

  where = {};
  auto other_name = UploadEnvelopeVersion(*store_, preprod_, Toml("1", "a"), "acme-gw", true, 1000, &where);
  ASSERT_FALSE(other_name.ok());
  EXPECT_EQ(where.key, "name");

  where = {};
  auto builtin = UploadEnvelopeVersion(*store_, preprod_, "name = 'ttn'\nversion = '1'\ndevice_id = 'a'\npayload = 'b'\n",
                                       "", true, 1000, &where);
  ASSERT_FALSE(builtin.ok());
  EXPECT_EQ(where.line, 1);
  EXPECT_EQ(where.key, "name");

  auto listed = store_->ListEnvelopeVersions(std::nullopt, "", false);
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
  EXPECT_EQ(DeviceIdSeen(preprod_), "");

  // The same version with other content is refused; the first stays active.
  ASSERT_TRUE(UploadEnvelopeVersion(*store_, preprod_, Toml("1", "a"), "", true, 1000).ok());
  auto again = UploadEnvelopeVersion(*store_, preprod_, Toml("1", "b"), "", true, 2000);
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(DeviceIdSeen(preprod_), "A1");
}

}  // namespace
}  // namespace telecollect::push
