#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace telecollect {

// Every option of telecollect, with its default. Filled by LoadConfig; see
// docs/configuration.md for the TOML keys. Components get the sub-struct they
// need and read nothing else (no environment, no globals).
struct ServerOptions {
  std::string listen = "127.0.0.1:8080";  // [server] listen
  int threads = 0;                        // [server] threads; 0 = one per core
  uint64_t max_body_bytes = 1 << 20;      // [server] max_body_bytes → 413 above
  int64_t header_timeout_ms = 10000;      // [server] header_timeout
  int64_t body_timeout_ms = 30000;        // [server] body_timeout
  int64_t idle_timeout_ms = 60000;        // [server] idle_timeout (keep-alive)
  int64_t shutdown_grace_ms = 10000;      // [server] shutdown_grace
  // [server] max_connections: open connections at most; past it new ones get
  // 503 and are closed. 0 = half the open-file limit, at most 4096.
  uint64_t max_connections = 0;
};

// The pool that runs the API's heavy requests (validate, tries, uploads,
// redecode) off the I/O threads.
struct WorkerOptions {
  int threads = 2;      // [workers] threads
  size_t queue = 16;    // [workers] queue: requests waiting for a worker; beyond → 503 + Retry-After
};

struct PushOptions {
  size_t max_batch_items = 10000;          // [push] max_batch_items → 413 above
  int64_t max_future_skew_ms = 86400000;   // [push] max_future_skew: event time ahead of now
  int64_t device_cache_ttl_ms = 5000;      // [push] device_cache_ttl: how often the registry version is checked
  int64_t decode_budget_ms = 500;          // [push] decode_budget: decoding time per request; later frames are
                                           // kept pending and decoded in the background
};

struct StoreOptions {
  std::string backend = "sqlite";  // [store] backend: sqlite | postgres
  // [store] url: the PostgreSQL database (libpq conninfo, key=value or
  // postgresql://host1,host2/db?target_session_attrs=read-write); never a password.
  std::string url;
  std::string password_env;  // [store] password_env: environment variable holding the PostgreSQL password
  // Not a config key: the PostgreSQL password, read by the CLI from the secrets
  // file ([store] password) or password_env. Empty: libpq's PGPASSWORD/PGPASSFILE.
  std::string password;
  std::string path;                // [store] path; default <data_dir>/telecollect.db
  std::string synchronous = "full";  // [store] synchronous: full (fsync before every ack) | normal (fsync at checkpoints)
  size_t queue_capacity = 1024;      // [store] queue_capacity: pending write requests
  size_t max_group_rows = 50000;     // [store] max_group_rows: frames+measurements per transaction
  int64_t busy_timeout_ms = 5000;    // [store] busy_timeout
};

struct DecoderOptions {
  // [decoders] dirs: spec directories, loaded in order (a later one wins).
  // <data_dir>/decoders is always appended.
  std::vector<std::string> dirs = {"decoders"};
  int64_t script_timeout_ms = 100;   // [decoders] script_timeout: per JavaScript decodeUplink call
  int64_t script_heap_mb = 64;       // [decoders] script_heap_mb: memory one decode worker process may add
  int64_t script_workers = 0;        // [decoders] script_workers: decode worker processes; 0 = two per core
  int64_t refresh_ms = 10000;        // [decoders] refresh: how often serve looks for decoder versions activated elsewhere
  // [decoders] vocabulary: native decoders also store their fields under the
  // vocabulary's names (air.temperature, battery…; decode/vocabulary.h).
  bool vocabulary = false;
};

struct AuthOptions {
  int64_t cache_ttl_ms = 1000;  // [auth] cache_ttl: how long a token lookup is reused
};

struct FilesOptions {
  // [files] connectors_dirs: one TOML file per connector, loaded in order.
  // <data_dir>/connectors is always appended.
  std::vector<std::string> connectors_dirs = {"connectors"};
  std::string secrets_file;  // [files] secrets_file; default <data_dir>/secrets.toml (must be mode 0600)
  std::string spool_dir;     // [files] spool_dir; default <data_dir>/spool (remote files are downloaded there)
  bool scheduler = true;     // [files] scheduler: run connectors on their schedule in `serve`
};

// Several nodes on one PostgreSQL (docs/deployment.md, "A cluster").
struct ClusterOptions {
  // [cluster] lease_ttl: how long a connector's lease (a file or API run, an
  // MQTT subscription) outlives its holder's last renewal (every third of it).
  // Another node takes an abandoned connector over once it expires. 2s to 1h;
  // every node of a cluster should have the same.
  int64_t lease_ttl_ms = 30000;
};
inline constexpr int64_t kMinLeaseTtlMs = 2000;
inline constexpr int64_t kMaxLeaseTtlMs = 3600000;

struct LogOptions {
  std::string level = "info";   // [log] level: trace|debug|info|warn|error
  std::string format = "text";  // [log] format: text|json
};

struct Config {
  std::string data_dir = "data";  // data_dir (top level)
  ServerOptions server;
  WorkerOptions workers;
  PushOptions push;
  StoreOptions store;
  DecoderOptions decoders;
  AuthOptions auth;
  FilesOptions files;
  ClusterOptions cluster;
  LogOptions log;

  // The SQLite file: store.path or <data_dir>/telecollect.db.
  std::string StorePath() const;
  // decoders.dirs plus <data_dir>/decoders.
  std::vector<std::string> DecoderDirs() const;
  std::vector<std::string> ConnectorDirs() const;
  std::string SecretsFile() const;
  // <data_dir>/state.key: seals secrets the store keeps (rotated refresh tokens).
  std::string StateKeyFile() const;
  std::string SpoolDir() const;
};

// Loads `path` (TOML). Unknown keys and wrong types are errors naming the key.
Result<Config> LoadConfigFile(const std::string& path);
Result<Config> LoadConfigString(const std::string& toml_text, const std::string& origin);

}  // namespace telecollect
