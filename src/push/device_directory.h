#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/clock.h"
#include "store/store.h"

namespace telecollect::push {

// The device registry as the push path reads it: (scope, device id) → the
// registered device, if any. Lookups (found or not) are cached for `ttl_ms`, so
// a change made by another process shows within that delay; Update() makes a
// change made through this process visible at once. Thread-safe.
class DeviceDirectory {
 public:
  DeviceDirectory(store::Store& store, const Clock& clock, int64_t ttl_ms)
      : store_(store), clock_(clock), ttl_ms_(ttl_ms) {}

  // Nullopt when the device is not registered (or the store cannot answer:
  // then the frame simply goes on without a registered type).
  std::optional<store::Device> Find(const Scope& scope, const std::string& device_id);

  // Writes through to the store and refreshes the cache.
  Status Update(const Scope& scope, std::span<const store::Device> devices);

 private:
  struct Entry {
    std::optional<store::Device> device;
    EpochMs expires = 0;
  };
  static std::string Key(const Scope& scope, std::string_view device_id);

  store::Store& store_;
  const Clock& clock_;
  const int64_t ttl_ms_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> cache_;  // guarded by mu_
};

}  // namespace telecollect::push
