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

std::optional<store::Device> DeviceDirectory::Find(const Scope& scope, const std::string& device_id) {
  const std::string key = Key(scope, device_id);
  const EpochMs now = clock_.NowMs();
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && it->second.expires > now) return it->second.device;
  }
  std::optional<store::Device> found;
  auto list = store_.ListDevices(scope, device_id, 1);
  if (!list.ok()) return std::nullopt;  // not cached: asked again next time
  if (!list->empty() && (*list)[0].device_id == device_id) found = (*list)[0];
  std::lock_guard lock(mu_);
  if (cache_.size() >= kMaxEntries) cache_.clear();
  cache_[key] = {found, now + ttl_ms_};
  return found;
}

Status DeviceDirectory::Update(const Scope& scope, std::span<const store::Device> devices) {
  TC_RETURN_IF_ERROR(store_.UpsertDevices(scope, devices));
  const EpochMs expires = clock_.NowMs() + ttl_ms_;
  std::lock_guard lock(mu_);
  for (const auto& d : devices) cache_[Key(scope, d.device_id)] = {d, expires};
  return Status::Ok();
}

}  // namespace telecollect::push
