// telecollect.toml (core/config.cc, LoadConfigString) on any text. A refusal has a message;
// an accepted config holds only values docs/configuration.md allows (backends, synchronous,
// log format, the bounds of counts, durations >= 0) and no password. And an accepted
// config with one unknown key added after it is refused, naming that key.
#include <cstdint>
#include <string>

#include "core/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace telecollect;
  if (size > 4096) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  Result<Config> c = LoadConfigString(text, "telecollect.toml");
  if (!c.ok()) {
    if (c.status().message().empty()) __builtin_trap();
    return 0;
  }
  const StoreOptions& s = c->store;
  if ((s.backend != "sqlite" && s.backend != "postgres") || (s.backend == "postgres" && s.url.empty()) ||
      (s.synchronous != "full" && s.synchronous != "normal") || !s.password.empty() || s.queue_capacity < 1 ||
      s.max_group_rows < 1 || s.busy_timeout_ms < 0) {
    __builtin_trap();
  }
  if (c->log.format != "text" && c->log.format != "json") __builtin_trap();
  if (c->server.threads < 0 || c->server.threads > 1024 || c->workers.threads > 1024 ||
      c->decoders.script_workers > 1024 || c->decoders.script_heap_mb > 4095 || c->server.max_body_bytes < 1 || c->server.header_timeout_ms < 0 ||
      c->server.body_timeout_ms < 0 || c->server.idle_timeout_ms < 0 || c->server.shutdown_grace_ms < 0) {
    __builtin_trap();
  }
  if (c->workers.threads < 1 || c->workers.queue < 1 || c->push.max_batch_items < 1 || c->push.max_future_skew_ms < 0 ||
      c->push.decode_budget_ms < 0 || c->decoders.script_heap_mb < 8 || c->decoders.script_workers < 0 ||
      c->decoders.script_timeout_ms < 0 || c->decoders.refresh_ms < 0 || c->auth.cache_ttl_ms < 0) {
    __builtin_trap();
  }
  // The same text with an unknown key after it (in whichever table the text ends in).
  if (text.find("zqxunknownkey") == std::string::npos) {
    Result<Config> more = LoadConfigString(text + "\nzqxunknownkey = 1\n", "telecollect.toml");
    if (more.ok() || more.status().message().find("zqxunknownkey") == std::string::npos) __builtin_trap();
  }
  return 0;
}
