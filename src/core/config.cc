#include "core/config.h"

#include <cstdio>
#include <set>
#include <toml++/toml.h>

#include "core/time_util.h"
#include "core/toml_reader.h"

namespace telecollect {
namespace {

// A thread or process count past this is a typo, not a machine: refused before anything starts.
constexpr int64_t kMaxThreads = 1024;
// A decode worker's heap cap is a 32-bit byte count (SpiderMonkey's JSGC_MAX_BYTES).
constexpr int64_t kMaxScriptHeapMb = 4095;

Status FillConfig(const toml::table& root, Config& c) {
  TableReader top(&root, "");
  TC_RETURN_IF_ERROR(top.String("data_dir", c.data_dir));
  for (const char* section : {"server", "workers", "push", "store", "decoders", "auth", "files", "cluster", "log"}) {
    TC_RETURN_IF_ERROR(top.CheckTable(section));
  }
  {
    TableReader r(top.Table("server"), "server");
    TC_RETURN_IF_ERROR(r.String("listen", c.server.listen));
    TC_RETURN_IF_ERROR(r.Integer("threads", c.server.threads, 0, kMaxThreads));
    TC_RETURN_IF_ERROR(r.Integer("max_body_bytes", c.server.max_body_bytes, 1));
    TC_RETURN_IF_ERROR(r.Duration("header_timeout", c.server.header_timeout_ms));
    TC_RETURN_IF_ERROR(r.Duration("body_timeout", c.server.body_timeout_ms));
    TC_RETURN_IF_ERROR(r.Duration("idle_timeout", c.server.idle_timeout_ms));
    TC_RETURN_IF_ERROR(r.Duration("shutdown_grace", c.server.shutdown_grace_ms));
    TC_RETURN_IF_ERROR(r.Integer("max_connections", c.server.max_connections, 0));
    TC_RETURN_IF_ERROR(r.Leftovers());
  }
  {
    TableReader r(top.Table("workers"), "workers");
    TC_RETURN_IF_ERROR(r.Integer("threads", c.workers.threads, 1, kMaxThreads));
    TC_RETURN_IF_ERROR(r.Integer("queue", c.workers.queue, 1));
    TC_RETURN_IF_ERROR(r.Leftovers());
  }
  {
    TableReader r(top.Table("push"), "push");
    TC_RETURN_IF_ERROR(r.Integer("max_batch_items", c.push.max_batch_items, 1));
    TC_RETURN_IF_ERROR(r.Duration("max_future_skew", c.push.max_future_skew_ms));
    TC_RETURN_IF_ERROR(r.Duration("device_cache_ttl", c.push.device_cache_ttl_ms));
    TC_RETURN_IF_ERROR(r.Duration("decode_budget", c.push.decode_budget_ms));
    TC_RETURN_IF_ERROR(r.Leftovers());
  }
  {
    TableReader r(top.Table("files"), "files");
    TC_RETURN_IF_ERROR(r.StringArray("connectors_dirs", c.files.connectors_dirs));
    TC_RETURN_IF_ERROR(r.String("secrets_file", c.files.secrets_file));
    TC_RETURN_IF_ERROR(r.String("spool_dir", c.files.spool_dir));
    TC_RETURN_IF_ERROR(r.Bool("scheduler", c.files.scheduler));
    TC_RETURN_IF_ERROR(r.Leftovers());
  }
  {
    TableReader r(top.Table("store"), "store");
    TC_RETURN_IF_ERROR(r.String("backend", c.store.backend));
    TC_RETURN_IF_ERROR(r.String("path", c.store.path));
    TC_RETURN_IF_ERROR(r.String("synchronous", c.store.synchronous));
    TC_RETURN_IF_ERROR(r.Integer("queue_capacity", c.store.queue_capacity, 1));
    TC_RETURN_IF_ERROR(r.Integer("max_group_rows", c.store.max_group_rows, 1));
    TC_RETURN_IF_ERROR(r.Duration("busy_timeout", c.store.busy_timeout_ms));
    TC_RETURN_IF_ERROR(r.String("url", c.store.url));
    TC_RETURN_IF_ERROR(r.String("password_env", c.store.password_env));
    if (r.Node("password") != nullptr) {
      return Status::InvalidArgument(r.Name("password") + " must not be written in the config: put it in the secrets "
                                     "file ([store] password) or name an environment variable (store.password_env)");
    }
    TC_RETURN_IF_ERROR(r.Leftovers());
    if (c.store.backend != "sqlite" && c.store.backend != "postgres") {
      return Status::InvalidArgument("store.backend must be \"sqlite\" or \"postgres\", not \"" + c.store.backend + "\"");
    }
    if (c.store.backend == "postgres" && c.store.url.empty()) {
      return Status::InvalidArgument("store.backend = \"postgres\" needs store.url (a libpq conninfo)");
    }
    if (c.store.synchronous != "full" && c.store.synchronous != "normal") {
      return Status::InvalidArgument("store.synchronous must be \"full\" or \"normal\"");
    }
  }
  {
    TableReader r(top.Table("decoders"), "decoders");
    TC_RETURN_IF_ERROR(r.StringArray("dirs", c.decoders.dirs));
    TC_RETURN_IF_ERROR(r.Duration("script_timeout", c.decoders.script_timeout_ms));
    TC_RETURN_IF_ERROR(r.Integer("script_heap_mb", c.decoders.script_heap_mb, 8, kMaxScriptHeapMb));
    TC_RETURN_IF_ERROR(r.Integer("script_workers", c.decoders.script_workers, 0, kMaxThreads));
    TC_RETURN_IF_ERROR(r.Duration("refresh", c.decoders.refresh_ms));
    TC_RETURN_IF_ERROR(r.Bool("vocabulary", c.decoders.vocabulary));
    TC_RETURN_IF_ERROR(r.Leftovers());
  }
  {
    TableReader r(top.Table("auth"), "auth");
    TC_RETURN_IF_ERROR(r.Duration("cache_ttl", c.auth.cache_ttl_ms));
    TC_RETURN_IF_ERROR(r.Leftovers());
  }
  {
    TableReader r(top.Table("cluster"), "cluster");
    TC_RETURN_IF_ERROR(r.Duration("lease_ttl", c.cluster.lease_ttl_ms));
    TC_RETURN_IF_ERROR(r.Leftovers());
    if (c.cluster.lease_ttl_ms < kMinLeaseTtlMs || c.cluster.lease_ttl_ms > kMaxLeaseTtlMs) {
      return Status::InvalidArgument("cluster.lease_ttl must be between \"2s\" and \"1h\", not \"" +
                                     FormatDurationMs(c.cluster.lease_ttl_ms) +
                                     "\": a lease renewed every third of it, and given up for that long when its "
                                     "holder stops");
    }
  }
  {
    TableReader r(top.Table("log"), "log");
    TC_RETURN_IF_ERROR(r.String("level", c.log.level));
    TC_RETURN_IF_ERROR(r.String("format", c.log.format));
    TC_RETURN_IF_ERROR(r.Leftovers());
    if (c.log.format != "text" && c.log.format != "json") {
      return Status::InvalidArgument("log.format must be \"text\" or \"json\"");
    }
  }
  return top.Leftovers();
}

}  // namespace

std::string Config::StorePath() const { return store.path.empty() ? data_dir + "/telecollect.db" : store.path; }

std::vector<std::string> Config::DecoderDirs() const {
  std::vector<std::string> dirs = decoders.dirs;
  dirs.push_back(data_dir + "/decoders");
  return dirs;
}

std::vector<std::string> Config::ConnectorDirs() const {
  std::vector<std::string> dirs = files.connectors_dirs;
  dirs.push_back(data_dir + "/connectors");
  return dirs;
}

std::string Config::SecretsFile() const { return files.secrets_file.empty() ? data_dir + "/secrets.toml" : files.secrets_file; }

std::string Config::StateKeyFile() const { return data_dir + "/state.key"; }

std::string Config::SpoolDir() const { return files.spool_dir.empty() ? data_dir + "/spool" : files.spool_dir; }

Result<Config> LoadConfigString(const std::string& text, const std::string& origin) {
  Config c;
  try {
    toml::table root = toml::parse(text, origin);
    Status s = FillConfig(root, c);
    if (!s.ok()) return s.WithContext(origin);
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument(origin + ":" + std::to_string(e.source().begin.line) + ":" +
                                   std::to_string(e.source().begin.column) + ": " + std::string(e.description()));
  }
  return c;
}

Result<Config> LoadConfigFile(const std::string& path) {
  // fread and ferror, not a stream: `out << in.rdbuf()` ends a failed read (EIO,
  // a directory) as if the file ended there, and an empty config is a valid one
  // (data_dir = "data"): a CLI run against a data dir cut off by a power loss
  // wrote its token into ./data instead (tests/powercut).
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return Status::NotFound("config file " + path + " cannot be opened");
  std::string text;
  char buf[8192];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return Status::IoError("config file " + path + " cannot be read");
  return LoadConfigString(text, path);
}

}  // namespace telecollect
