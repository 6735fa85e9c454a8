#include "server/response_writer.h"

#include <gtest/gtest.h>

namespace telecollect::server {
namespace {

std::string Serialize(const HttpResponse& r, unsigned version, bool keep_alive) {
  std::string out;
  SerializeResponse(r, version, keep_alive, out);
  return out;
}

TEST(ResponseWriter, StatusHeadersLengthBody) {
  HttpResponse r{200, "application/json", R"({"accepted":1})", {{"Retry-After", "2"}}};
  EXPECT_EQ(Serialize(r, 11, true),
            "HTTP/1.1 200 OK\r\nServer: telecollect\r\nContent-Type: application/json\r\nRetry-After: 2\r\n"
            "Connection: keep-alive\r\nContent-Length: 14\r\n\r\n{\"accepted\":1}");
  r.status = 413;
  r.body.clear();
  r.headers.clear();
  EXPECT_EQ(Serialize(r, 10, false),
            "HTTP/1.0 413 Payload Too Large\r\nServer: telecollect\r\nContent-Type: application/json\r\n"
            "Connection: close\r\nContent-Length: 0\r\n\r\n");
}

TEST(ResponseWriter, HeadIsTheResponseWithoutItsBody) {
  const HttpResponse r{200, "text/csv", "timestamp,value\n", {{"X-Truncated", "true"}}};
  std::string head;
  SerializeHead(r, 11, true, head);
  EXPECT_EQ(head + r.body, Serialize(r, 11, true));
  EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n");
  EXPECT_NE(head.find("Content-Length: 16\r\n"), std::string::npos);
}

TEST(ResponseWriter, NoHeaderInjectionAndNoSecondLength) {
  HttpResponse r{503, "text/plain\r\nX-Evil: 1", "busy",
                 {{"X-A\r\nX-Evil", "v\r\nX-Evil: 2"}, {"content-length", "99"}, {"Connection", "upgrade"}}};
  const std::string out = Serialize(r, 11, true);
  EXPECT_EQ(out.find("\r\nX-Evil"), std::string::npos) << out;
  EXPECT_EQ(out.find("99"), std::string::npos) << out;
  EXPECT_EQ(out.find("upgrade"), std::string::npos) << out;
  EXPECT_NE(out.find("Content-Type: text/plainX-Evil: 1\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("X-AX-Evil: vX-Evil: 2\r\n"), std::string::npos) << out;
  EXPECT_TRUE(out.ends_with("Content-Length: 4\r\n\r\nbusy")) << out;
  EXPECT_TRUE(out.starts_with("HTTP/1.1 503 Service Unavailable\r\n")) << out;
}

}  // namespace
}  // namespace telecollect::server
