#include "push/redecode.h"

#include <gtest/gtest.h>

#include "decode/decode_frame.h"
#include "store/store_test_util.h"

namespace telecollect::push {
namespace {

TEST(RedecodeTest, PendingFramesBecomeMeasurementsOnceADecoderExists) {
  store::TempDir dir;
  auto s = store::OpenSqliteStore(dir.path() + "/r.db");
  ASSERT_TRUE(s.ok());
  store::Store& st = **s;
  Scope scope{"acme", Env::kPreprod};
  store::WriteBatch b{scope, {}, {}};
  for (int i = 0; i < 1500; ++i) {  // more than one page
    auto f = store::MakeFrame("dev", 1000 * i, {uint8_t(i & 0xFF)});
    f.frame.device_type = "later";
    b.frames.push_back(f);
  }
  const store::WriteBatch* p = &b;
  ASSERT_TRUE(st.Write(std::span<const store::WriteBatch* const>(&p, 1)).ok());

  decode::DecoderRegistry reg;
  RedecodeFilter filter;
  auto none = Redecode(st, reg, filter);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->pending, 1500u);
  EXPECT_EQ(none->decoded, 0u);

  auto dt = decode::LoadDeclarativeSpec("devicetype='later'\n[[variant]]\n[[variant.field]]\nname='v'\noffset=0\ntype='u8'\n", "x");
  ASSERT_TRUE(reg.Activate(std::move(dt).value()).ok());
  auto done = Redecode(st, reg, filter);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->decoded, 1500u);
  EXPECT_EQ(done->measurements, 1500u);
  // Nothing left to do; running again changes nothing.
  auto again = Redecode(st, reg, filter);
  EXPECT_EQ(again->scanned, 0u);
  store::MeasurementQuery q;
  q.scope = scope;
  q.module = "dev.v";
  q.agg = store::Aggregate::kNone;
  EXPECT_EQ(st.QueryMeasurements(q)->size(), 1500u);
}

TEST(RedecodeTest, ANewMeasurementMapRenamesRescalesAndSetsTheUnitOfJournaledFrames) {
  store::TempDir dir;
  auto s = store::OpenSqliteStore(dir.path() + "/r.db");
  ASSERT_TRUE(s.ok());
  store::Store& st = **s;
  Scope scope{"acme", Env::kPreprod};
  decode::DecoderRegistry reg;
  auto dt = decode::LoadDeclarativeSpec("devicetype='th'\n[[variant]]\n[[variant.field]]\nname='v'\noffset=0\ntype='u8'\n"
                                        "unit='dC'\n", "x");
  ASSERT_TRUE(reg.Activate(std::move(dt).value()).ok());
  store::WriteBatch b{scope, {}, {}};
  auto f = store::MakeFrame("dev", 1000, {200});
  f.frame.device_type = "th";
  f.status = DecodeStatus::kDecoded;
  f.measurements = decode::DecodeFrame(reg, scope, f.frame).measurements;
  b.frames.push_back(f);
  const store::WriteBatch* p = &b;
  ASSERT_TRUE(st.Write(std::span<const store::WriteBatch* const>(&p, 1)).ok());

  auto map = ParseMeasurementMap("map='th'\n[field.v]\nunit='°C'\nscale=0.1\n", "m.toml");
  ASSERT_TRUE(map.ok());
  reg.ReplaceScoped({}, {}, {{scope, std::make_shared<const MeasurementMap>(std::move(map).value())}});
  RedecodeFilter filter;
  filter.statuses = {DecodeStatus::kDecoded};
  auto done = Redecode(st, reg, filter);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->decoded, 1u);
  store::MeasurementQuery q;
  q.scope = scope;
  q.module = "dev.v";
  q.agg = store::Aggregate::kNone;
  auto points = st.QueryMeasurements(q);
  ASSERT_EQ(points->size(), 1u);
  EXPECT_EQ((*points)[0].value, 20);
  auto modules = st.ListModules(scope, "dev.", "", 10);
  ASSERT_TRUE(modules.ok());
  ASSERT_EQ(modules->size(), 1u);
  EXPECT_EQ((*modules)[0].unit, "°C");  // the module's unit follows the map
}

}  // namespace
}  // namespace telecollect::push
