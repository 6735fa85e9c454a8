#pragma once

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace telecollect {

// A path written in a connector file: relative ones are read from the file's folder `base`.
inline std::string ResolveBesideConnector(const std::filesystem::path& base, const std::string& path) {
  if (path.empty() || std::filesystem::path(path).is_absolute()) return path;
  return (base / path).lexically_normal().string();
}

// Loads every *.toml of the directories that `want` accepts, in directory
// order and by name within one: a later file with the same name (its stem)
// replaces an earlier one; a file `load` refuses is listed with why.
template <typename Connector>
void LoadConnectorFiles(const std::vector<std::string>& dirs, const std::function<bool(const std::string&)>& want,
                        const std::function<Result<Connector>(const std::string&)>& load,
                        std::vector<Connector>& loaded, std::vector<std::pair<std::string, std::string>>& refused) {
  namespace fs = std::filesystem;
  std::map<std::string, size_t> by_name;
  for (const std::string& dir : dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    std::vector<fs::path> paths;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      if (e.path().extension() == ".toml" && want(e.path().string())) paths.push_back(e.path());
    }
    std::sort(paths.begin(), paths.end());
    for (const fs::path& f : paths) {
      Result<Connector> c = load(f.string());
      if (!c.ok()) {
        refused.emplace_back(f.string(), c.status().message());
        continue;
      }
      auto [it, fresh] = by_name.emplace(c->name, loaded.size());
      if (fresh) loaded.push_back(std::move(c).value());
      else loaded[it->second] = std::move(c).value();
    }
  }
}

}  // namespace telecollect
