#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <unistd.h>

#include "store/open_store.h"

namespace telecollect::store {

// A throw-away directory removed at destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tc_test_XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A SQLite store at `path`, opened through the factory as `serve` opens it.
inline Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path, StoreOptions options = {}) {
  options.backend = "sqlite";
  options.path = path;
  return OpenStore(options);
}

inline DecodedFrame MakeFrame(std::string device, EpochMs t, Bytes payload, std::vector<Measurement> ms = {}) {
  DecodedFrame f;
  f.frame.source = "generic-sensors";
  f.frame.device_id = std::move(device);
  f.frame.device_type = "t";
  f.frame.received_at = t + 5;
  f.frame.event_time = t;
  f.frame.payload = std::move(payload);
  f.status = ms.empty() ? DecodeStatus::kNoDecoder : DecodeStatus::kDecoded;
  f.measurements = std::move(ms);
  return f;
}

}  // namespace telecollect::store
