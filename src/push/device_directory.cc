#include "push/device_directory.h"

namespace telecollect::push {
namespace {
constexpr size_t kMaxEntries = 200000;
}

std::string DeviceDirectory::Key(const Scope& scope, std::string_view device_id) {
  std::string k = scope.tenant;
  k += '\0';
  k += EnvName(scope.env);
  k += '\0';
  k.append(device_id);
  return k;
}

void DeviceDirectory::CheckVersion(EpochMs now) {
  {
    MutexLock lock(mu_);
    if (now < next_check_) return;
    next_check_ = now + ttl_ms_;
  }
  auto version = store_.DeviceRegistryVersion();
  MutexLock lock(mu_);
  if (!version.ok()) {
    next_check_ = 0;  // cannot tell: forget, and ask again next time
    cache_.clear();
    return;
  }
  if (*version != version_) cache_.clear();
  version_ = *version;
}

std::optional<store::Device> DeviceDirectory::Find(const Scope& scope, const std::string& device_id) {
  CheckVersion(clock_.NowMs());
  const std::string key = Key(scope, device_id);
  int64_t version = 0;
  {
    MutexLock lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    version = version_;
  }
  std::optional<store::Device> found;
  auto list = store_.ListDevices(scope, device_id, 1);
  if (!list.ok()) return std::nullopt;  // not cached: asked again next time
  if (!list->empty() && (*list)[0].device_id == device_id) found = (*list)[0];
  MutexLock lock(mu_);
  // Kept only if the cache was not emptied meanwhile: the answer may predate
  // the change that emptied it.
  if (version != version_) return found;
  if (cache_.size() >= kMaxEntries) cache_.clear();
  cache_[key] = found;
  return found;
}

Status DeviceDirectory::Update(const Scope& scope, std::span<const store::Device> devices) {
  TC_RETURN_IF_ERROR(store_.UpsertDevices(scope, devices));
  MutexLock lock(mu_);
  for (const auto& d : devices) cache_[Key(scope, d.device_id)] = d;
  return Status::Ok();
}

}  // namespace telecollect::push
