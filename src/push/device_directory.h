#pragma once

#include <optional>
#include <string>
#include <unordered_map>

#include "core/clock.h"
#include "core/mutex.h"
#include "store/store.h"

namespace telecollect::push {

// The device registry as the push path reads it: (scope, device id) → the
// registered device, if any. Lookups (found or not) are cached until the
// registry changes: at most every `ttl_ms` the store's registry version is read,
// and a new version empties the cache. A change made by another process thus
// shows within that delay, without a query per frame between changes (frames of
// many devices would each miss a per-entry expiry); Update() makes a change made
// through this process visible at once. Thread-safe.
class DeviceDirectory {
 public:
  DeviceDirectory(store::Store& store, const Clock& clock, int64_t ttl_ms)
      : store_(store), clock_(clock), ttl_ms_(ttl_ms) {}

  // Nullopt when the device is not registered (or the store cannot answer:
  // then the frame simply goes on without a registered type).
  std::optional<store::Device> Find(const Scope& scope, const std::string& device_id) TC_EXCLUDES(mu_);

  // Writes through to the store and refreshes the cache.
  Status Update(const Scope& scope, std::span<const store::Device> devices) TC_EXCLUDES(mu_);

 private:
  static std::string Key(const Scope& scope, std::string_view device_id);
  // Empties the cache if the registry changed since it was filled (checked at
  // most every ttl_ms_).
  void CheckVersion(EpochMs now) TC_EXCLUDES(mu_);

  store::Store& store_;
  const Clock& clock_;
  const int64_t ttl_ms_;
  Mutex mu_;
  std::unordered_map<std::string, std::optional<store::Device>> cache_ TC_GUARDED_BY(mu_);
  int64_t version_ TC_GUARDED_BY(mu_) = -1;  // the registry version cache_ reflects
  EpochMs next_check_ TC_GUARDED_BY(mu_) = 0;
};

}  // namespace telecollect::push
