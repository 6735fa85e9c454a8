#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "decode/decoder.h"

namespace telecollect::decode {

// A sample payload and what its decoder must make of it.
struct TestVector {
  std::optional<int> fport;
  Bytes payload;
  std::map<std::string, double> expect;  // the fields expected (the exact set unless `subset`)
  std::string expect_error;              // non-empty: decoding must fail with this text
  std::string description;               // named with a failure (a vendor example's description)
  // The decoder may give more fields than `expect` lists: only those are checked.
  bool subset = false;
  // A value passes when |got - want| <= tolerance; unset: equal to 1e-9, or
  // within 1e-6 relative (the float noise of a vendor's own output).
  std::optional<double> tolerance;
};

// A device type: the decoder for one device model and how its values are named.
struct DeviceType {
  std::string name;  // normalised (see NormalizeDeviceType)
  std::string description;
  std::string version = "1";
  // Module id template; {deviceid}, {field} and {devicetype} are replaced.
  std::string module_template = "{deviceid}.{field}";
  std::string origin;  // file it was loaded from
  std::shared_ptr<const Decoder> decoder;
  std::vector<TestVector> tests;

  // Identifiers and versions a decoder returns (device_id, protocol_version,
  // metadata counters: DecodedValue::identifier) are stored only when set
  // (spec key keep_identifiers).
  bool keep_identifiers = false;
  // A native decoder's fields are also stored under their vocabulary names
  // (vocabulary.h; [decoders] vocabulary).
  bool vocabulary_names = false;

  std::string ModuleId(std::string_view device_id, std::string_view field) const;
  // Removes the identifier values unless keep_identifiers: what is stored and
  // what the test vectors see.
  void DropIdentifiers(std::vector<DecodedValue>& values) const;
  // What is stored of a decoder's values: DropIdentifiers, then, when
  // vocabulary_names, its fields' names in the vocabulary added (vocabulary.h).
  void Shape(std::vector<DecodedValue>& values) const;
  // Other names platforms give this model (ThingPark "NEXELEC/CARBON", a
  // ChirpStack profile name...), normalised; Find() answers to them too.
  std::vector<std::string> aliases;
};

// Expands a module id template: {deviceid}, {devicetype}, {field}.
std::string ExpandModuleTemplate(std::string_view tmpl, std::string_view device_id, std::string_view device_type,
                                 std::string_view field);

// Builds a script decoder from its source (checked: syntax, decodeUplink);
// supplied by the JavaScript engine library (script/script_factory.h).
using ScriptFactory =
    std::function<Result<std::shared_ptr<const Decoder>>(const std::string& source, const std::string& name)>;

// Parses and checks a device type spec (TOML): `kind = "declarative"` (byte
// layouts) or `kind = "script"` with `script = "file.js"` (path relative to
// the spec, built by `scripts`; refused when that is empty). Errors name the
// file, the variant/field index and the key. Does not run the test vectors.
// `script_text`, when given, is the script itself (an uploaded decoder) instead
// of the file the spec names.
Result<DeviceType> LoadDeclarativeSpec(const std::string& toml_text, const std::string& origin,
                                       const ScriptFactory& scripts = {}, const std::string* script_text = nullptr);

// Runs every test vector; the error lists each failing vector by index.
Status RunTestVectors(const DeviceType& type);

}  // namespace telecollect::decode
