#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/measurement_map.h"
#include "core/model.h"
#include "core/mutex.h"
#include "decode/device_type.h"

namespace telecollect::decode {

// What a (re)load found: the device types made active and the files refused.
struct LoadReport {
  std::vector<std::string> active;                            // "name v<version> (origin)"
  std::vector<std::pair<std::string, std::string>> rejected;  // (file, reason)
};

// Device type → decoder. Lookups are lock-light snapshots; Reload swaps the
// whole table atomically, so in-flight decodes keep the version they started with.
// Thread-safe.
class DecoderRegistry {
 public:
  // `scripts` builds JavaScript decoders for `kind = "script"` specs; without
  // it such specs are refused (listed in the LoadReport).
  // `vocabulary`: native decoders add their fields' vocabulary names
  // (DeviceType::vocabulary_names, [decoders] vocabulary).
  explicit DecoderRegistry(ScriptFactory scripts = {}, bool vocabulary = false)
      : scripts_(std::move(scripts)), vocabulary_(vocabulary) {}

  using Table = std::map<std::string, std::shared_ptr<const DeviceType>, std::less<>>;

  // Null when no active decoder has that (normalised) name.
  std::shared_ptr<const DeviceType> Find(std::string_view device_type) const;
  // The same for frames of one tenant and env: a decoder version uploaded and
  // activated for that scope comes first, then the shared table.
  std::shared_ptr<const DeviceType> Find(const Scope& scope, std::string_view device_type) const;

  // Decoder versions uploaded per scope (tenant and env), as activated in the store.
  struct ScopedType {
    Scope scope;
    std::shared_ptr<const DeviceType> type;
  };
  // A tenant's own name for a device type (uploaded for its scope, or shared).
  struct ScopedAlias {
    Scope scope;
    std::string alias;
    std::string device_type;
  };
  // A measurement map uploaded and activated for a scope (name: MeasurementMap::name).
  struct ScopedMap {
    Scope scope;
    std::shared_ptr<const MeasurementMap> map;
  };
  // Replaces every scoped decoder, alias and map at once. Returns the aliases
  // whose device type has no decoder (they are left out).
  std::vector<ScopedAlias> ReplaceScoped(const std::vector<ScopedType>& types, const std::vector<ScopedAlias>& aliases = {},
                                         const std::vector<ScopedMap>& maps = {});
  std::vector<ScopedType> ScopedTypes(const Scope& scope) const;

  // The measurement map named `name` (a device type's name, or the name a
  // connector gives) for frames of `scope`: the one activated for the scope,
  // else the shared one of the decoder directories; null when neither.
  std::shared_ptr<const MeasurementMap> FindMap(const Scope& scope, std::string_view name) const;

  // Replaces the table by every *.toml spec found in `dirs` (in order; a later
  // directory overrides an earlier one), and the shared maps by every *.toml of
  // their maps/ folders. A spec that fails to parse or whose test vectors fail,
  // or a map that does not parse, is not activated and is listed in the report.
  LoadReport LoadDirectories(const std::vector<std::string>& dirs);

  // Adds or replaces one device type after running its vectors.
  Status Activate(DeviceType type);

  std::shared_ptr<const Table> Snapshot() const;
  // Builds script decoders (may be empty: then script specs are refused).
  const ScriptFactory& scripts() const { return scripts_; }

 private:
  const ScriptFactory scripts_;
  const bool vocabulary_;
  mutable Mutex mutex_;
  std::shared_ptr<const Table> table_ TC_GUARDED_BY(mutex_) = std::make_shared<Table>();
  // Key: tenant '\0' env '\0' name (or alias).
  std::shared_ptr<const Table> scoped_ TC_GUARDED_BY(mutex_) = std::make_shared<Table>();
  using MapTable = std::map<std::string, std::shared_ptr<const MeasurementMap>, std::less<>>;
  // Shared maps by name; scoped ones keyed as scoped_.
  std::shared_ptr<const MapTable> maps_ TC_GUARDED_BY(mutex_) = std::make_shared<MapTable>();
  std::shared_ptr<const MapTable> scoped_maps_ TC_GUARDED_BY(mutex_) = std::make_shared<MapTable>();
};

}  // namespace telecollect::decode
