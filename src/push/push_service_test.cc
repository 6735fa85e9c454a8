#include "push/push_service.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

#include "push/background_decoder.h"
#include "store/fault_store.h"
#include "store/store_test_util.h"

namespace telecollect::push {
namespace {

class PushServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::OpenSqliteStore(dir_.path() + "/p.db");
    ASSERT_TRUE(s.ok());
    store_ = std::move(s).value();
    committer_ = std::make_unique<store::GroupCommitter>(*store_, 100, 10000);
    auto dt = decode::LoadDeclarativeSpec(
        "devicetype='counter'\n[[variant]]\n[[variant.field]]\nname='index'\noffset=0\ntype='u16'\nunit='Wh'\n", "c");
    ASSERT_TRUE(dt.ok());
    ASSERT_TRUE(registry_.Activate(std::move(dt).value()).ok());
    service_ = std::make_unique<PushService>(registry_, *committer_, metrics_, PushOptions{}, clock_);
  }
  PushResponse Push(std::string_view body, std::string_view source = "generic-sensors",
                    std::string_view ct = "application/json") {
    std::promise<PushResponse> p;
    PushService::Route route;
    route.source = std::string(source);
    service_->Push(scope_, route, ct, body, [&](PushResponse r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  }

  store::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<store::GroupCommitter> committer_;
  decode::DecoderRegistry registry_;
  Metrics metrics_;
  ManualClock clock_{1700000000000};
  std::unique_ptr<PushService> service_;
  Scope scope_{"acme", Env::kPreprod};
};

TEST_F(PushServiceTest, DecodesStoresAndCountsDuplicates) {
  const char* body = R"([{"timestamp": 1600000000, "deviceid": "m1", "payload": "0102", "devicetype": "Counter"},
                         {"timestamp": 1600000000, "deviceid": "m2", "payload": "01", "devicetype": "counter"},
                         {"timestamp": 1600000000, "deviceid": "m3", "payload": "01", "devicetype": "unknown"}])";
  PushResponse r = Push(body);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"accepted":3,"duplicates":0,"decoded":1,"pending":1,"failed":1,"measurements":1})");
  PushResponse again = Push(body);
  EXPECT_EQ(again.body, R"({"accepted":0,"duplicates":3,"decoded":0,"pending":0,"failed":0,"measurements":0})");
  store::MeasurementQuery q;
  q.scope = scope_;
  q.module = "m1.index";
  q.agg = store::Aggregate::kNone;
  auto pts = store_->QueryMeasurements(q);
  ASSERT_TRUE(pts.ok());
  ASSERT_EQ(pts->size(), 1u);
  EXPECT_EQ((*pts)[0].value, 0x0102);
  EXPECT_EQ((*pts)[0].ts, 1600000000000);
  store::FrameQuery fq;
  fq.scope = scope_;
  fq.status = DecodeStatus::kFailed;
  auto failed = store_->QueryFrames(fq);
  ASSERT_EQ(failed->size(), 1u);
  EXPECT_NE((*failed)[0].reason.find("payload is 1 bytes, layout \"variant 0\" needs at least 2"), std::string::npos) << (*failed)[0].reason;
}

TEST_F(PushServiceTest, PlatformEventsThatAreNotUplinksAreIgnoredAndCounted) {
  std::promise<PushResponse> p;
  PushService::Route route;
  route.source = "chirpstack";
  route.query["event"] = "join";
  service_->Push(scope_, route, "application/json", R"({"deviceInfo": {"devEui": "0011"}})",
                 [&](PushResponse r) { p.set_value(std::move(r)); });
  PushResponse r = p.get_future().get();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"accepted":0,"duplicates":0,"decoded":0,"pending":0,"failed":0,"measurements":0,"ignored":1})");
}

TEST_F(PushServiceTest, DefaultDeviceTypeFromTheUrl) {
  std::promise<PushResponse> p;
  PushService::Route route;
  route.source = "sigfox";
  route.default_device_type = "counter";
  service_->Push(scope_, route, "application/json", R"({"device": "2C4F1A", "time": "1600000000", "data": "0a0b"})",
                 [&](PushResponse r) { p.set_value(std::move(r)); });
  PushResponse r = p.get_future().get();
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"decoded\":1"), std::string::npos) << r.body;
}

TEST_F(PushServiceTest, EachFrameOfOneDeviceKeepsItsOwnType) {
  // One device's frames in a row are resolved once, but not across a change of the body's type.
  std::promise<PushResponse> p;
  PushService::Route route;
  route.source = "generic-sensors";
  route.default_device_type = "no-such-type";
  const char* body = R"([{"timestamp": 1600000000, "deviceid": "m1", "payload": "0102", "devicetype": "Counter"},
                         {"timestamp": 1600000060, "deviceid": "m1", "payload": "0103"},
                         {"timestamp": 1600000120, "deviceid": "m1", "payload": "0104", "devicetype": "counter"},
                         {"timestamp": 1600000180, "deviceid": "m1", "payload": "0105"}])";
  service_->Push(scope_, route, "application/json", body, [&](PushResponse r) { p.set_value(std::move(r)); });
  PushResponse r = p.get_future().get();
  EXPECT_EQ(r.body, R"({"accepted":4,"duplicates":0,"decoded":2,"pending":2,"failed":0,"measurements":2})");
}

TEST_F(PushServiceTest, RefusalsStoreNothing) {
  PushResponse bad = Push(R"([{"timestamp": 1600000000, "deviceid": "m1", "payload": "00"},
                              {"timestamp": 1600000000, "deviceid": "m2", "payload": "0"}])");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("\"index\":1"), std::string::npos) << bad.body;
  EXPECT_NE(bad.body.find("\"field\":\"payload\""), std::string::npos) << bad.body;
  EXPECT_EQ(Push("{}", "nope").status, 400);
  EXPECT_EQ(Push("{}", "").status, 400);
  EXPECT_EQ(Push("a=b", "generic-sensors", "application/x-www-form-urlencoded").status, 415);
  store::FrameQuery fq;
  fq.scope = scope_;
  EXPECT_TRUE(store_->QueryFrames(fq)->empty());
}

TEST(PushServiceBusyTest, FullQueueAnswers503WithRetryAfterAndStoresNothing) {
  store::FaultStore fault;
  store::GroupCommitter committer(fault, 1, 1000);
  decode::DecoderRegistry registry;
  Metrics metrics;
  ManualClock clock(1700000000000);
  PushService service(registry, committer, metrics, PushOptions{}, clock);
  fault.HoldWrites(true);
  const char* body = R"({"timestamp": 1600000000, "deviceid": "m1", "payload": "00"})";
  std::vector<PushResponse> answers;
  std::mutex mu;
  auto collect = [&](PushResponse r) { std::lock_guard l(mu); answers.push_back(std::move(r)); };
  // One request held in the writer, one in the queue, the third refused at once.
  PushService::Route route;
  route.source = "generic-sensors";
  service.Push({"acme", Env::kPreprod}, route, "application/json", body, collect);
  while (committer.depth() > 0) std::this_thread::yield();
  service.Push({"acme", Env::kPreprod}, route, "application/json", body, collect);
  service.Push({"acme", Env::kPreprod}, route, "application/json", body, collect);
  {
    std::lock_guard l(mu);
    ASSERT_EQ(answers.size(), 1u);
    EXPECT_EQ(answers[0].status, 503);
    EXPECT_EQ(answers[0].retry_after_s, 1);
    EXPECT_NE(answers[0].body.find("write queue is full"), std::string::npos) << answers[0].body;
  }
  fault.HoldWrites(false);
  committer.Stop();
  EXPECT_EQ(answers.size(), 3u);
  EXPECT_EQ(answers[1].status, 200);
  EXPECT_EQ(answers[2].status, 200);
}

}  // namespace
}  // namespace telecollect::push

namespace telecollect::push {
namespace {

// Past the decode budget frames are stored pending ("deferred: …"), the answer
// says how many, and the background decoder decodes them later.
TEST_F(PushServiceTest, FramesPastTheDecodeBudgetAreDecodedInTheBackground) {
  PushOptions options;
  options.decode_budget_ms = 0;  // every frame is past it
  std::vector<Scope> told;
  BackgroundDecoder background(*store_, registry_);
  service_ = std::make_unique<PushService>(registry_, *committer_, metrics_, options, clock_, nullptr,
                                           [&](const Scope& s) {
                                             told.push_back(s);
                                             background.Notify(s);
                                           });
  const char* body = R"([{"timestamp": 1600000000, "deviceid": "m1", "payload": "0102", "devicetype": "counter"},
                         {"timestamp": 1600000060, "deviceid": "m1", "payload": "0103", "devicetype": "counter"},
                         {"timestamp": 1600000000, "deviceid": "m3", "payload": "01", "devicetype": "unknown"}])";
  PushResponse r = Push(body);
  EXPECT_EQ(r.body,
            R"({"accepted":3,"duplicates":0,"decoded":0,"pending":3,"failed":0,"measurements":0,"deferred":2})");
  ASSERT_EQ(told.size(), 1u);
  EXPECT_EQ(told[0], scope_);
  store::FrameQuery fq;
  fq.scope = scope_;
  fq.device_id = "m1";
  auto pending = store_->QueryFrames(fq);
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ((*pending)[0].reason.rfind("deferred: ", 0), 0u) << (*pending)[0].reason;

  background.Start();
  ASSERT_TRUE(background.WaitIdle(std::chrono::seconds(60)));
  EXPECT_EQ(background.done(), 2u);
  auto decoded = store_->QueryFrames(fq);
  ASSERT_EQ(decoded->size(), 2u);
  for (const auto& f : *decoded) EXPECT_EQ(f.status, DecodeStatus::kDecoded) << f.reason;
  // What the decoder made of it is stored with the frame (reads show it, never decode).
  EXPECT_EQ((*decoded)[0].values_json, R"({"m1.index":259})");
  // The frame with no decoder stays pending, not deferred.
  fq.device_id = "m3";
  auto none = store_->QueryFrames(fq);
  ASSERT_EQ(none->size(), 1u);
  EXPECT_EQ(none->at(0).status, DecodeStatus::kNoDecoder);
  EXPECT_EQ(none->at(0).reason.rfind("deferred", 0), std::string::npos);
}

}  // namespace
}  // namespace telecollect::push

namespace telecollect::push {
namespace {

// A decoder with no script worker free for its first `busy` calls (what a
// saturated pool answers: kUnavailable), then decoding one value.
class BusyThenReadyDecoder final : public decode::Decoder {
 public:
  explicit BusyThenReadyDecoder(int busy) : busy_(busy) {}
  Result<std::vector<decode::DecodedValue>> Decode(const decode::DecodeInput&) const override {
    if (calls_++ < busy_) return Status::Unavailable("no script worker free");
    return std::vector<decode::DecodedValue>{{"level", 7, "%"}};
  }
  const char* kind() const override { return "native"; }
  int calls() const { return calls_; }

 private:
  const int busy_;
  mutable std::atomic<int> calls_{0};
};

// A frame the background decoder finds deferred once more (every worker busy)
// is tried again after a pause, with no push to notify its scope: it is never
// left pending for good.
TEST_F(PushServiceTest, FramesDeferredAgainInTheBackgroundAreTriedAgain) {
  auto decoder = std::make_shared<BusyThenReadyDecoder>(3);
  decode::DeviceType type;
  type.name = "busy";
  type.decoder = decoder;
  ASSERT_TRUE(registry_.Activate(std::move(type)).ok());
  PushOptions options;
  options.decode_budget_ms = 0;  // deferred by the push
  BackgroundDecoder background(*store_, registry_, std::chrono::milliseconds(10));
  service_ = std::make_unique<PushService>(registry_, *committer_, metrics_, options, clock_, nullptr,
                                           [&](const Scope& s) { background.Notify(s); });
  PushResponse r = Push(R"([{"timestamp": 1600000000, "deviceid": "b1", "payload": "01", "devicetype": "busy"}])");
  ASSERT_EQ(r.status, 200) << r.body;
  background.Start();
  ASSERT_TRUE(background.WaitIdle(std::chrono::seconds(60)));
  EXPECT_EQ(decoder->calls(), 4);  // deferred three times, then decoded
  EXPECT_EQ(background.done(), 1u);
  store::FrameQuery fq;
  fq.scope = scope_;
  fq.device_id = "b1";
  auto frames = store_->QueryFrames(fq);
  ASSERT_TRUE(frames.ok());
  ASSERT_EQ(frames->size(), 1u);
  EXPECT_EQ(frames->at(0).status, DecodeStatus::kDecoded) << frames->at(0).reason;
  EXPECT_EQ(frames->at(0).values_json, R"({"b1.level":7})");
}

}  // namespace
}  // namespace telecollect::push
