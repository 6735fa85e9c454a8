#include "core/config.h"

#include <gtest/gtest.h>

namespace telecollect {
namespace {

TEST(ConfigTest, DefaultsWhenEmpty) {
  auto c = LoadConfigString("", "test.toml");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->server.listen, "127.0.0.1:8080");
  EXPECT_EQ(c->server.max_body_bytes, 1u << 20);
  EXPECT_EQ(c->server.max_connections, 0u);  // automatic
  EXPECT_EQ(c->StorePath(), "data/telecollect.db");
}

TEST(ConfigTest, ReadsEveryKind) {
  auto c = LoadConfigString(R"(
data_dir = "/var/lib/tc"
[server]
listen = "0.0.0.0:9000"
threads = 4
header_timeout = "5s"
max_connections = 300
[store]
synchronous = "normal"
[decoders]
dirs = ["a", "b"]
)", "t.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->server.listen, "0.0.0.0:9000");
  EXPECT_EQ(c->server.threads, 4);
  EXPECT_EQ(c->server.header_timeout_ms, 5000);
  EXPECT_EQ(c->server.max_connections, 300u);
  EXPECT_EQ(c->store.synchronous, "normal");
  EXPECT_EQ(c->DecoderDirs(), (std::vector<std::string>{"a", "b", "/var/lib/tc/decoders"}));
  auto d = LoadConfigString("", "t.toml");
  EXPECT_EQ(d->DecoderDirs(), (std::vector<std::string>{"decoders", "data/decoders"}));
}

TEST(ConfigTest, StoreBackendIsSqliteOrPostgresWithAUrlAndNoPassword) {
  auto pg = LoadConfigString("[store]\nbackend = \"postgres\"\nurl = \"postgresql://db1,db2/tc?target_session_attrs=read-write\"\n"
                             "password_env = \"TC_PG_PASSWORD\"\n", "t.toml");
  ASSERT_TRUE(pg.ok()) << pg.status().message();
  EXPECT_EQ(pg->store.backend, "postgres");
  EXPECT_EQ(pg->store.url, "postgresql://db1,db2/tc?target_session_attrs=read-write");
  EXPECT_EQ(pg->store.password_env, "TC_PG_PASSWORD");
  auto no_url = LoadConfigString("[store]\nbackend = \"postgres\"\n", "t.toml");
  ASSERT_FALSE(no_url.ok());
  EXPECT_NE(no_url.status().message().find("store.url"), std::string::npos);
  auto other = LoadConfigString("[store]\nbackend = \"mysql\"\n", "t.toml");
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("\"sqlite\" or \"postgres\""), std::string::npos);
  auto password = LoadConfigString("[store]\nbackend = \"postgres\"\nurl = \"host=db\"\npassword = \"hunter2xyz\"\n", "t.toml");
  ASSERT_FALSE(password.ok());
  EXPECT_NE(password.status().message().find("secrets file"), std::string::npos);
  EXPECT_EQ(password.status().message().find("hunter2xyz"), std::string::npos);
}

TEST(ConfigTest, ClusterLeaseTtlIsBetweenTwoSecondsAndAnHour) {
  EXPECT_EQ(LoadConfigString("", "t.toml")->cluster.lease_ttl_ms, 30000);
  for (const auto& [text, ms] : std::vector<std::pair<std::string, int64_t>>{{"2s", 2000}, {"45s", 45000}, {"1h", 3600000}}) {
    auto c = LoadConfigString("[cluster]\nlease_ttl = \"" + text + "\"\n", "t.toml");
    ASSERT_TRUE(c.ok()) << text << ": " << c.status().message();
    EXPECT_EQ(c->cluster.lease_ttl_ms, ms) << text;
  }
  for (const auto& [text, shown] : std::vector<std::pair<std::string, std::string>>{
           {"1s", "1s"}, {"1999ms", "1999ms"}, {"0s", "0ms"}, {"61m", "61m"}, {"2h", "2h"}}) {
    auto c = LoadConfigString("[cluster]\nlease_ttl = \"" + text + "\"\n", "t.toml");
    ASSERT_FALSE(c.ok()) << text;
    EXPECT_EQ(c.status().message(), "t.toml: cluster.lease_ttl must be between \"2s\" and \"1h\", not \"" + shown +
                                         "\": a lease renewed every third of it, and given up for that long when its "
                                         "holder stops");
  }
  auto number = LoadConfigString("[cluster]\nlease_ttl = 30\n", "t.toml");
  ASSERT_FALSE(number.ok());
  EXPECT_NE(number.status().message().find("cluster.lease_ttl must be a duration string"), std::string::npos)
      << number.status().message();
  auto unknown = LoadConfigString("[cluster]\nttl = \"30s\"\n", "t.toml");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("cluster.ttl"), std::string::npos) << unknown.status().message();
}

TEST(ConfigTest, UnknownKeyIsNamed) {
  auto c = LoadConfigString("[server]\nlisten = \"x:1\"\nthread = 3\n", "t.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("unknown key server.thread (line 3)"), std::string::npos)
      << c.status().message();
}

TEST(ConfigTest, WrongTypeAndSyntaxAreNamed) {
  auto c = LoadConfigString("[server]\nthreads = \"four\"\n", "t.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("server.threads must be an integer"), std::string::npos);
  auto d = LoadConfigString("[server\n", "t.toml");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("t.toml:1:"), std::string::npos) << d.status().message();
  auto e = LoadConfigFile("/nonexistent/x.toml");
  EXPECT_EQ(e.status().code(), StatusCode::kNotFound);
}

// A count too big for its field, or past what a machine has, is refused by name: never wrapped
// into a negative or a small number (fuzz/regressions/config_toml_fuzz/threads_overflow).
TEST(ConfigTest, CountsHaveAnUpperBound) {
  auto c = LoadConfigString("[server]\nthreads = 6666666660\n", "t.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("server.threads must be <= 1024"), std::string::npos) << c.status().message();
  auto w = LoadConfigString("[workers]\nthreads = 1025\n", "t.toml");
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("workers.threads must be <= 1024"), std::string::npos) << w.status().message();
  auto h = LoadConfigString("[decoders]\nscript_heap_mb = 4096\n", "t.toml");
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.status().message().find("decoders.script_heap_mb must be <= 4095"), std::string::npos);
  auto q = LoadConfigString("[workers]\nqueue = 9223372036854775807\n[decoders]\nscript_heap_mb = 4095\n", "t.toml");
  ASSERT_TRUE(q.ok()) << q.status().message();
  EXPECT_EQ(q->workers.queue, size_t{9223372036854775807u});
  EXPECT_EQ(q->decoders.script_heap_mb, 4095);
}

// A read that fails is an error, not an empty config (whose data_dir would be ./data).
TEST(ConfigTest, UnreadableFileIsAnErrorNotDefaults) {
  auto dir = LoadConfigFile("/tmp");  // opens, then every read fails (EISDIR)
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.status().code(), StatusCode::kIoError);
  EXPECT_NE(dir.status().message().find("cannot be read"), std::string::npos);
}

}  // namespace
}  // namespace telecollect
