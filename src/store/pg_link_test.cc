// PgLink without a server: connects to a port nobody listens on (or a
// stand-in connect), with the time set by the test.
#include "store/pg_link.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <sstream>
#include <thread>
#include <vector>

namespace telecollect::store {
namespace {

// A port on 127.0.0.1 that nothing listens on (bound, then closed).
int ClosedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t n = sizeof a;
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n), 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Log lines written during a test.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    auto logger = std::make_shared<spdlog::logger>("pg_link_test", sink);
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  std::string text() const { return out_.str(); }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream out_;
};

class PgLinkTest : public ::testing::Test {
 protected:
  PgLink::NowFn Now() {
    return [this] { return now_.load(); };
  }
  // A PGconn object that counts as a connection for PgLink (never used).
  static PgConnPtr FakeConnection() { return PgConnPtr(PQconnectStart("host=127.0.0.1 port=1")); }

  std::atomic<int64_t> now_{1'000'000};
};

TEST_F(PgLinkTest, AnUnreachableServerIsTriedOncePerBackoffIntervalAndNamedByNoStatus) {
  LogCapture log;
  const int port = ClosedPort();
  const std::string password = "s3cret-Pa55word";
  const std::string conninfo = "host=127.0.0.1 port=" + std::to_string(port) + " user=tc_operator dbname=tc connect_timeout=1";
  PgLink link([&] { return PgConnect(conninfo, password); }, password, Now());

  // The backoff: 250 ms, doubling to 5 s. Between attempts, calls fail at once.
  const int64_t waits[] = {250, 500, 1000, 2000, 4000, 5000, 5000};
  int64_t expected_attempts = 0;
  for (size_t i = 0; i <= std::size(waits); ++i) {
    Result<PgConnPtr> c = link.Connect();
    ++expected_attempts;
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.status().code(), StatusCode::kUnavailable);
    EXPECT_EQ(c.status().message(), "database unreachable");
    EXPECT_TRUE(IsStoreUnreachable(c.status()));
    EXPECT_EQ(link.attempts(), expected_attempts);
    if (i == std::size(waits)) break;
    for (int k = 0; k < 5; ++k) {  // within the interval: no attempt
      auto again = link.Connect();
      EXPECT_EQ(again.status().message(), "database unreachable");
    }
    now_ += waits[i] - 1;
    (void)link.Connect();
    EXPECT_EQ(link.attempts(), expected_attempts) << "tried again " << waits[i] - 1 << " ms after attempt " << i + 1;
    EXPECT_FALSE(link.state().attempt_due);
    now_ += 1;
    EXPECT_TRUE(link.state().attempt_due);
  }
  EXPECT_TRUE(link.state().down);

  // One line for the whole outage, with libpq's reason (the host is for operators), no password.
  const std::string text = log.text();
  EXPECT_EQ(Count(text, "store_unreachable"), 1u) << text;
  EXPECT_EQ(Count(text, "store_reconnected"), 0u) << text;
  EXPECT_NE(text.find(std::to_string(port)), std::string::npos) << text;
  EXPECT_EQ(text.find(password), std::string::npos) << text;
}

TEST_F(PgLinkTest, ASuccessEndsTheOutageOnceAndResetsTheBackoff) {
  LogCapture log;
  std::atomic<int> failures{3};
  PgLink link(
      [&]() -> Result<PgConnPtr> {
        if (failures.fetch_sub(1) > 0) return Status::Unavailable("connection to server at \"10.0.0.9\" failed");
        return FakeConnection();
      },
      "pw", Now());
  EXPECT_FALSE(link.Connect().ok());  // the outage starts: next at +250
  now_ += 250;
  EXPECT_FALSE(link.Connect().ok());  // next at +500
  now_ += 500;
  EXPECT_FALSE(link.Connect().ok());  // next at +1000
  now_ += 999;
  EXPECT_FALSE(link.Connect().ok());  // not tried
  EXPECT_EQ(link.attempts(), 3);
  now_ += 1;
  Result<PgConnPtr> c = link.Connect();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_FALSE(link.state().down);
  EXPECT_TRUE(link.Connect().ok());  // up: every call connects
  EXPECT_EQ(link.attempts(), 5);
  const std::string text = log.text();
  EXPECT_EQ(Count(text, "store_unreachable"), 1u) << text;
  EXPECT_EQ(Count(text, "store_reconnected"), 1u) << text;
  EXPECT_NE(text.find("outage_ms=1750"), std::string::npos) << text;
  EXPECT_NE(text.find("failed_attempts=3"), std::string::npos) << text;

  // The next outage starts again at 250 ms.
  failures = 1;
  EXPECT_FALSE(link.Connect().ok());
  now_ += 249;
  EXPECT_FALSE(link.state().attempt_due);
  now_ += 1;
  EXPECT_TRUE(link.state().attempt_due);
  EXPECT_EQ(Count(log.text(), "store_unreachable"), 2u);
}

TEST_F(PgLinkTest, AConnectionLostInUseIsAnOutageOnlyWhenConnectingAgainFails) {
  LogCapture log;
  std::atomic<bool> refuse{false};
  PgLink link(
      [&]() -> Result<PgConnPtr> {
        if (refuse) return Status::Unavailable("Connection refused");
        return FakeConnection();
      },
      "", Now());
  // The server ended one session: the next connect is tried at once and succeeds; no outage.
  link.Lost("FATAL:  terminating connection due to idle-in-transaction timeout");
  EXPECT_FALSE(link.state().down);
  EXPECT_TRUE(link.state().attempt_due);
  EXPECT_TRUE(link.Connect().ok());
  EXPECT_EQ(link.attempts(), 1);
  EXPECT_EQ(log.text(), "");

  // The server is gone: the connect after the loss fails, the outage starts with 250 ms.
  refuse = true;
  link.Lost("server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally");
  link.Lost("again");  // the same loss
  EXPECT_EQ(link.Connect().status().message(), "database unreachable");
  EXPECT_EQ(link.attempts(), 2);
  EXPECT_TRUE(link.state().down);
  EXPECT_EQ(link.Connect().status().message(), "database unreachable");  // waits for the backoff
  EXPECT_EQ(link.attempts(), 2);
  now_ += PgLink::kMinBackoffMs - 1;
  EXPECT_FALSE(link.state().attempt_due);
  now_ += 1;
  refuse = false;
  EXPECT_TRUE(link.Connect().ok());
  EXPECT_EQ(link.attempts(), 3);
  const std::string text = log.text();
  EXPECT_EQ(Count(text, "store_unreachable"), 1u) << text;
  EXPECT_NE(text.find("connection lost: server closed the connection unexpectedly; This probably means the server "
                      "terminated abnormally; connecting again: Connection refused"),
            std::string::npos)
      << text;
  EXPECT_EQ(Count(text, "store_reconnected"), 1u) << text;
}

TEST_F(PgLinkTest, ConcurrentCallersMakeOneAttemptPerInterval) {
  LogCapture log;
  std::atomic<int> in_connect{0}, most_at_once{0};
  PgLink link(
      [&]() -> Result<PgConnPtr> {
        const int n = ++in_connect;
        most_at_once = std::max(most_at_once.load(), n);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        --in_connect;
        return Status::Unavailable("refused");
      },
      "", Now());
  link.Lost("gone");
  now_ += PgLink::kMinBackoffMs;  // one attempt due
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (!link.Connect().ok()) ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 8 * 200);
  EXPECT_EQ(link.attempts(), 1);
  EXPECT_EQ(most_at_once.load(), 1);
  EXPECT_FALSE(link.state().attempt_due);  // the next one 500 ms after it
  now_ += 2 * PgLink::kMinBackoffMs;
  EXPECT_TRUE(link.state().attempt_due);
  EXPECT_EQ(Count(log.text(), "store_unreachable"), 1u);
}

TEST(ScrubConnectErrorTest, ThePasswordIsReplacedAndTheLinesJoined) {
  EXPECT_EQ(ScrubConnectError("connection to server at \"db1\" (10.0.0.1), port 5432 failed: FATAL:  password "
                              "authentication failed for user \"tc\" (hunter2)\n",
                              "hunter2"),
            "connection to server at \"db1\" (10.0.0.1), port 5432 failed: FATAL:  password authentication failed "
            "for user \"tc\" (***)");
  EXPECT_EQ(ScrubConnectError("a xx b xxx\nc\n\td", "xx"), "a *** b ***x; c; d");
  EXPECT_EQ(ScrubConnectError("nothing secret", ""), "nothing secret");
}

}  // namespace
}  // namespace telecollect::store
