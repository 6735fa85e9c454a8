#include "core/config.h"

#include <fstream>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "core/time_util.h"
#include "core/toml_reader.h"

namespace telecollect {
namespace {

Status FillConfig(const toml::table& root, Config& c) {
  TableReader top(&root, "");
  TC_RETURN_IF_ERROR(top.String("data_dir", c.data_dir));
  for (const char* section : {"server", "push", "store", "decoders", "auth", "log"}) {
    TC_RETURN_IF_ERROR(top.CheckTable(section));
  }
  {
    TableReader r(top.Table("server"), "server");
    TC_RETURN_IF_ERROR(r.String("listen", c.server.listen));
    TC_RETURN_IF_ERROR(r.Integer("threads", c.server.threads, 0));
    TC_RETURN_IF_ERROR(r.Integer("max_body_bytes", c.server.max_body_bytes, 1));
    TC_RETURN_IF_ERROR(r.Duration("header_timeout", c.server.header_timeout_ms));
    TC_RETURN_IF_ERROR(r.Duration("body_timeout", c.server.body_timeout_ms));
    TC_RETURN_IF_ERROR(r.Duration("idle_timeout", c.server.idle_timeout_ms));
    TC_RETURN_IF_ERROR(r.Duration("shutdown_grace", c.server.shutdown_grace_ms));
    TC_RETURN_IF_ERROR(r.Leftovers());
  }
  {
    TableReader r(top.Table("push"), "push");
    TC_RETURN_IF_ERROR(r.Integer("max_batch_items", c.push.max_batch_items, 1));
    TC_RETURN_IF_ERROR(r.Duration("max_future_skew", c.push.max_future_skew_ms));
    TC_RETURN_IF_ERROR(r.Duration("device_cache_ttl", c.push.device_cache_ttl_ms));
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
    TC_RETURN_IF_ERROR(r.Leftovers());
    if (c.store.backend != "sqlite") {
      return Status::InvalidArgument("store.backend \"" + c.store.backend + "\" is not available (sqlite)");
    }
    if (c.store.synchronous != "full" && c.store.synchronous != "normal") {
      return Status::InvalidArgument("store.synchronous must be \"full\" or \"normal\"");
    }
  }
  {
    TableReader r(top.Table("decoders"), "decoders");
    TC_RETURN_IF_ERROR(r.StringArray("dirs", c.decoders.dirs));
    TC_RETURN_IF_ERROR(r.Duration("script_timeout", c.decoders.script_timeout_ms));
    TC_RETURN_IF_ERROR(r.Integer("script_heap_mb", c.decoders.script_heap_mb, 8));
    TC_RETURN_IF_ERROR(r.Leftovers());
  }
  {
    TableReader r(top.Table("auth"), "auth");
    TC_RETURN_IF_ERROR(r.Duration("cache_ttl", c.auth.cache_ttl_ms));
    TC_RETURN_IF_ERROR(r.Leftovers());
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
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("config file " + path + " cannot be opened");
  std::ostringstream text;
  text << in.rdbuf();
  return LoadConfigString(text.str(), path);
}

}  // namespace telecollect
