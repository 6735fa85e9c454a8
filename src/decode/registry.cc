#include "decode/registry.h"

#include "decode/native/native_types.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace telecollect::decode {

std::shared_ptr<const DecoderRegistry::Table> DecoderRegistry::Snapshot() const {
  MutexLock lock(mutex_);
  return table_;
}

std::shared_ptr<const DeviceType> DecoderRegistry::Find(std::string_view device_type) const {
  auto table = Snapshot();
  auto it = table->find(device_type);
  if (it == table->end()) {
    const std::string normalised = NormalizeDeviceType(device_type);
    it = table->find(normalised);
    if (it == table->end()) return nullptr;
  }
  return it->second;
}

namespace {

namespace fs = std::filesystem;

std::string ScopedKey(const Scope& scope, std::string_view name) {
  std::string key = scope.tenant;
  key += '\0';
  key += EnvName(scope.env);
  key += '\0';
  key += name;
  return key;
}

// The `.toml` files of `folder`, in name order, each with its text (none when
// the folder does not exist): decoder specs and measurement maps alike.
std::vector<std::pair<fs::path, std::string>> TomlFilesIn(const fs::path& folder) {
  std::vector<std::pair<fs::path, std::string>> out;
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) return out;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".toml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (fs::path& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    out.emplace_back(std::move(file), text.str());
  }
  return out;
}

}  // namespace

std::shared_ptr<const DeviceType> DecoderRegistry::Find(const Scope& scope, std::string_view device_type) const {
  std::shared_ptr<const Table> scoped;
  {
    MutexLock lock(mutex_);
    scoped = scoped_;
  }
  if (!scoped->empty()) {
    auto it = scoped->find(ScopedKey(scope, device_type));
    if (it == scoped->end()) it = scoped->find(ScopedKey(scope, NormalizeDeviceType(device_type)));
    if (it != scoped->end()) return it->second;
  }
  return Find(device_type);
}

std::shared_ptr<const MeasurementMap> DecoderRegistry::FindMap(const Scope& scope, std::string_view name) const {
  std::shared_ptr<const MapTable> shared, scoped;
  {
    MutexLock lock(mutex_);
    shared = maps_;
    scoped = scoped_maps_;
  }
  if (shared->empty() && scoped->empty()) return nullptr;
  const std::string normalised = NormalizeDeviceType(name);
  if (auto it = scoped->find(ScopedKey(scope, normalised)); it != scoped->end()) return it->second;
  if (auto it = shared->find(normalised); it != shared->end()) return it->second;
  return nullptr;
}

std::vector<DecoderRegistry::ScopedAlias> DecoderRegistry::ReplaceScoped(const std::vector<ScopedType>& types,
                                                                         const std::vector<ScopedAlias>& aliases,
                                                                         const std::vector<ScopedMap>& maps) {
  auto scoped_maps = std::make_shared<MapTable>();
  for (const ScopedMap& m : maps) (*scoped_maps)[ScopedKey(m.scope, m.map->name)] = m.map;
  auto scoped = std::make_shared<Table>();
  for (const ScopedType& t : types) (*scoped)[ScopedKey(t.scope, t.type->name)] = t.type;
  for (const ScopedType& t : types) {
    for (const auto& alias : t.type->aliases) scoped->emplace(ScopedKey(t.scope, alias), t.type);
  }
  std::vector<ScopedAlias> unresolved;
  for (const ScopedAlias& a : aliases) {
    std::shared_ptr<const DeviceType> target;
    if (auto it = scoped->find(ScopedKey(a.scope, a.device_type)); it != scoped->end()) target = it->second;
    if (!target) target = Find(a.device_type);
    if (!target) {
      unresolved.push_back(a);
      continue;
    }
    scoped->emplace(ScopedKey(a.scope, a.alias), std::move(target));  // a decoder's own name wins
  }
  MutexLock lock(mutex_);
  scoped_ = std::move(scoped);
  scoped_maps_ = std::move(scoped_maps);
  return unresolved;
}

std::vector<DecoderRegistry::ScopedType> DecoderRegistry::ScopedTypes(const Scope& scope) const {
  std::shared_ptr<const Table> scoped;
  {
    MutexLock lock(mutex_);
    scoped = scoped_;
  }
  std::vector<ScopedType> out;
  const std::string prefix = ScopedKey(scope, "");
  for (auto it = scoped->lower_bound(prefix); it != scoped->end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    if (it->first.substr(prefix.size()) == it->second->name) out.push_back({scope, it->second});
  }
  return out;
}

LoadReport DecoderRegistry::LoadDirectories(const std::vector<std::string>& dirs) {
  LoadReport report;
  auto table = std::make_shared<Table>();
  for (DeviceType& native : NativeDeviceTypes()) {
    Status vectors = RunTestVectors(native);
    if (!vectors.ok()) {
      report.rejected.emplace_back(native.origin, vectors.message());
      continue;
    }
    native.vocabulary_names = vocabulary_;
    auto shared = std::make_shared<const DeviceType>(std::move(native));
    (*table)[shared->name] = shared;
    for (const auto& alias : shared->aliases) table->emplace(alias, shared);
  }
  for (const std::string& dir : dirs) {
    for (const auto& [file, text] : TomlFilesIn(dir)) {
      auto dt = LoadDeclarativeSpec(text, file.string(), scripts_);
      if (!dt.ok()) {
        report.rejected.emplace_back(file.string(), dt.status().message());
        continue;
      }
      Status vectors = RunTestVectors(*dt);
      if (!vectors.ok()) {
        report.rejected.emplace_back(file.string(), vectors.message());
        continue;
      }
      auto shared = std::make_shared<const DeviceType>(std::move(dt).value());
      (*table)[shared->name] = shared;
      for (const auto& alias : shared->aliases) table->emplace(alias, shared);  // a real name wins over an alias
    }
  }
  for (const auto& [name, dt] : *table) {
    if (name == dt->name) report.active.push_back(name + " v" + dt->version + " (" + dt->origin + ")");
  }
  auto maps = std::make_shared<MapTable>();
  for (const std::string& dir : dirs) {
    for (const auto& [file, text] : TomlFilesIn(fs::path(dir) / "maps")) {
      auto m = ParseMeasurementMap(text, file.string());
      if (!m.ok()) {
        report.rejected.emplace_back(file.string(), m.status().message());
        continue;
      }
      auto shared = std::make_shared<const MeasurementMap>(std::move(m).value());
      (*maps)[shared->name] = shared;  // a later directory wins
    }
  }
  for (const auto& [name, m] : *maps) report.active.push_back("map " + name + " v" + m->version + " (" + m->origin + ")");
  MutexLock lock(mutex_);
  table_ = std::move(table);
  maps_ = std::move(maps);
  return report;
}

Status DecoderRegistry::Activate(DeviceType type) {
  TC_RETURN_IF_ERROR(RunTestVectors(type));
  MutexLock lock(mutex_);
  auto table = std::make_shared<Table>(*table_);
  auto shared = std::make_shared<const DeviceType>(std::move(type));
  (*table)[shared->name] = shared;
  for (const auto& alias : shared->aliases) table->emplace(alias, shared);
  table_ = std::move(table);
  return Status::Ok();
}

}  // namespace telecollect::decode
