#include "server/request_stream.h"

#include <gtest/gtest.h>

#include <cstring>

namespace telecollect::server {
namespace {

using Event = RequestStream::Event;

void Feed(RequestStream& s, std::string_view bytes) {
  std::memcpy(s.Prepare(bytes.size()), bytes.data(), bytes.size());
  s.Commit(bytes.size());
}

RequestStream::Limits SmallLimits() { return {1024, 100}; }

// Feeds `bytes` in pieces of `step`, as reads would, and returns the first
// event other than kNeedMore/kContinue (or kNeedMore at the end).
Event FeedInSteps(RequestStream& s, std::string_view bytes, size_t step) {
  for (size_t i = 0; i < bytes.size(); i += step) {
    Feed(s, bytes.substr(i, step));
    Event e = s.Next();
    while (e == Event::kContinue) e = s.Next();
    if (e != Event::kNeedMore) return e;
  }
  return Event::kNeedMore;
}

TEST(RequestStream, ContentLengthRequestByteByByte) {
  const std::string raw = "POST /v1/push/ttn?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello";
  for (size_t step : {size_t{1}, size_t{7}, raw.size()}) {
    RequestStream s(SmallLimits());
    ASSERT_EQ(FeedInSteps(s, raw, step), Event::kRequest) << step;
    HttpRequest r = s.TakeRequest();
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/v1/push/ttn?x=1");
    EXPECT_EQ(r.body, "hello");
    EXPECT_EQ(r.Header("x-a"), "b");
    EXPECT_TRUE(s.keep_alive());
    EXPECT_EQ(s.version(), 11u);
    EXPECT_FALSE(s.started());
  }
}

TEST(RequestStream, PipelinedRequestsComeOneByOne) {
  RequestStream s(SmallLimits());
  Feed(s, "\r\nGET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.0\r\n\r\nGET /c HTTP/1.1\r\nConnection: close\r\n\r\nGET /d");
  ASSERT_EQ(s.Next(), Event::kRequest);
  EXPECT_EQ(s.Next(), Event::kRequest);  // until taken
  EXPECT_EQ(s.TakeRequest().target, "/a");
  EXPECT_TRUE(s.keep_alive());
  ASSERT_EQ(s.Next(), Event::kRequest);
  EXPECT_EQ(s.TakeRequest().target, "/b");
  EXPECT_FALSE(s.keep_alive());
  EXPECT_EQ(s.version(), 10u);
  ASSERT_EQ(s.Next(), Event::kRequest);
  EXPECT_EQ(s.TakeRequest().target, "/c");
  EXPECT_FALSE(s.keep_alive());
  EXPECT_EQ(s.Next(), Event::kNeedMore);
  EXPECT_TRUE(s.started());
}

TEST(RequestStream, ChunkedBodyIsDechunkedAndTrailersAreDropped) {
  const std::string raw =
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Sum: 1\r\n\r\n";
  for (size_t step : {size_t{1}, size_t{5}, raw.size()}) {
    RequestStream s(SmallLimits());
    ASSERT_EQ(FeedInSteps(s, raw, step), Event::kRequest) << step;
    HttpRequest r = s.TakeRequest();
    EXPECT_EQ(r.body, "abcde");
    EXPECT_EQ(r.Header("x-sum"), "");
  }
}

ProtocolError RefusalOf(std::string_view raw, RequestStream::Limits limits = SmallLimits(), size_t step = 0) {
  RequestStream s(limits);
  const Event e = FeedInSteps(s, raw, step ? step : raw.size());
  EXPECT_EQ(e, Event::kError) << raw.substr(0, 200);
  EXPECT_FALSE(s.keep_alive());
  return s.error();
}

TEST(RequestStream, TransferEncodingRules) {
  EXPECT_EQ(RefusalOf("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n").status, 400);
  EXPECT_EQ(RefusalOf("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n").status, 501);
  EXPECT_EQ(RefusalOf("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n").status, 501);
  EXPECT_EQ(RefusalOf("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n").status, 400);
  EXPECT_EQ(RefusalOf("POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n").status, 400);
  EXPECT_EQ(RefusalOf("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n").status, 400);
  for (const char* raw : {"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
                          "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
                          "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabc"}) {
    const ProtocolError e = RefusalOf(raw);
    EXPECT_EQ(e.status, 400) << raw;
    EXPECT_NE(e.message.find("Content-Length and Transfer-Encoding"), std::string::npos) << e.message;
  }
}

TEST(RequestStream, BadChunksAre400) {
  for (const char* chunks : {"zz\r\nabc\r\n0\r\n\r\n", "3\r\nabcX\r\n0\r\n\r\n", "-1\r\n", "3 x\r\nabc\r\n",
                             "ffffffffffffffffff\r\n"}) {
    const ProtocolError e = RefusalOf(std::string("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n") + chunks);
    EXPECT_TRUE(e.status == 400 || e.status == 413) << chunks << " " << e.message;
    EXPECT_FALSE(e.message.empty());
  }
  EXPECT_EQ(RefusalOf("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").status, 400);
}

TEST(RequestStream, TrailersCountAgainstTheHeaderLimit) {
  const std::string head = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n";
  // A trailer name, then a value, larger than the whole limit; in one piece and byte by byte.
  for (size_t step : {size_t{0}, size_t{97}}) {
    EXPECT_EQ(RefusalOf(head + std::string(70000, 'n') + ": v\r\n\r\n", SmallLimits(), step).status, 431);
    EXPECT_EQ(RefusalOf(head + "X: " + std::string(70000, 'v') + "\r\n\r\n", SmallLimits(), step).status, 431);
  }
  // Many small trailer fields that add up past the limit.
  std::string many = head;
  for (int i = 0; i < 200; ++i) many += "T" + std::to_string(i) + ": vvvvvvvvvv\r\n";
  EXPECT_EQ(RefusalOf(many + "\r\n").status, 431);
  // Trailers that fit are fine.
  RequestStream s(SmallLimits());
  Feed(s, head + "T: v\r\n\r\n");
  EXPECT_EQ(s.Next(), Event::kRequest);
}

TEST(RequestStream, UnendingLinesAreBounded) {
  RequestStream s(SmallLimits());
  Feed(s, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;");
  EXPECT_EQ(s.Next(), Event::kNeedMore);
  EXPECT_EQ(FeedInSteps(s, std::string(5000, 'e'), 100), Event::kError);
  EXPECT_EQ(s.error().status, 431);
  EXPECT_EQ(RefusalOf("GET / HTTP/1.1\r\nX: " + std::string(5000, 'a'), SmallLimits(), 64).status, 431);
  // Many small fields, each parsed (and consumed) as it comes: the whole header counts.
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 300; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(RefusalOf(many + "\r\n", SmallLimits(), 64).status, 431);
}

TEST(RequestStream, BodyLimit) {
  const ProtocolError e = RefusalOf("POST / HTTP/1.1\r\nContent-Length: 101\r\n\r\n");
  EXPECT_EQ(e.status, 413);
  EXPECT_NE(e.message.find("body of 101 bytes exceeds server.max_body_bytes (100)"), std::string::npos);
  EXPECT_EQ(RefusalOf("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n50\r\n" + std::string(80, 'a') +
                      "\r\n50\r\n")
                .status,
            413);
}

TEST(RequestStream, ExpectContinueOnceBeforeTheBody) {
  RequestStream s(SmallLimits());
  Feed(s, "POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  EXPECT_EQ(s.Next(), Event::kContinue);
  EXPECT_EQ(s.Next(), Event::kNeedMore);
  Feed(s, "ok");
  EXPECT_EQ(s.Next(), Event::kRequest);
  EXPECT_EQ(s.TakeRequest().body, "ok");
}

TEST(RequestStream, MalformedRequestLines) {
  EXPECT_EQ(RefusalOf("GET / HTTP/2.0\r\n\r\n").status, 400);
  EXPECT_EQ(RefusalOf("G\x01T / HTTP/1.1\r\n\r\n").status, 400);
  const ProtocolError e = RefusalOf("POST / HTTP/1.1\r\nContent-Length: twelve\r\n\r\n");
  EXPECT_NE(e.message.find("malformed HTTP request"), std::string::npos);
}

}  // namespace
}  // namespace telecollect::server
