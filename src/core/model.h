#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/hex.h"
#include "core/status.h"
#include "core/time_util.h"

namespace telecollect {

// Where data belongs. Preprod and prod never mix.
enum class Env { kPreprod, kProd };
const char* EnvName(Env env);
Result<Env> ParseEnv(std::string_view text);

struct Scope {
  std::string tenant;
  Env env = Env::kPreprod;
  bool operator==(const Scope&) const = default;
};

// What became of a frame's payload.
enum class DecodeStatus { kDecoded, kNoDecoder, kFailed };
const char* DecodeStatusName(DecodeStatus status);
Result<DecodeStatus> ParseDecodeStatus(std::string_view text);

// One value of one module at one instant.
struct Measurement {
  std::string module;
  EpochMs ts = 0;
  double value = 0;
  std::string unit;  // empty when unknown; recorded on the module at first sight
  int quality = 0;   // 0 = good
};

// A module as a file names it, and readings that refer to it by index: the
// compact form flat-file imports stream to the store.
struct ModuleDef {
  std::string name;
  std::string unit;
};
struct Reading {
  uint32_t module = 0;  // index into the import's module list
  EpochMs ts = 0;
  double value = 0;
};

// Receives an import's readings in chunks. `modules` holds every module seen
// so far; readings refer to it by index.
class ReadingWriter {
 public:
  virtual ~ReadingWriter() = default;
  virtual Status Add(const std::vector<ModuleDef>& modules, std::span<const Reading> readings) = 0;
};

// One raw uplink, as journaled.
struct Frame {
  std::string source;       // envelope it came in: generic-sensors, ttn, ...
  std::string device_id;
  std::string device_type;  // may be empty: then the frame waits for a decoder
  EpochMs received_at = 0;  // server clock
  EpochMs event_time = 0;   // device/platform time, or received_at when absent
  Bytes payload;
  std::optional<int> fport;
  std::string metadata_json;  // radio metadata, verbatim JSON object or empty
  bool encrypted = false;     // payload still encrypted at the network server: kept, never decoded
};

// A frame plus what its decoding produced; the unit written by the push path.
struct DecodedFrame {
  Frame frame;
  DecodeStatus status = DecodeStatus::kNoDecoder;
  std::string reason;  // why (kFailed / kNoDecoder); for kDecoded, what a script logged or warned, if anything
  std::vector<Measurement> measurements;
};

}  // namespace telecollect
