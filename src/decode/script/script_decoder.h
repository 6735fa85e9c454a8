#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "decode/decoder.h"

namespace telecollect::decode {

// Limits for JavaScript decoders ([decoders] script_timeout, script_heap).
struct ScriptLimits {
  int64_t timeout_ms = 100;            // per decodeUplink call
  // Memory one call may add (GC heap cap per thread, and growth of the
  // process's resident size watched during the call).
  uint32_t heap_bytes = 64u << 20;
};

// A decoder written against the LoRaWAN Payload Codec API, as vendors publish
// them: `function decodeUplink(input)` with input {bytes, fPort, recvTime},
// returning {data, warnings, errors}. Runs unmodified in embedded SpiderMonkey
// 102: one JSContext per calling thread, one realm per decoder per thread,
// compiled on first use and kept warm. `console.log` and friends are captured
// (never printed); there is no I/O; `undefined` members read as null.
// A call that runs past `timeout_ms` is stopped (interrupt requested by a
// watchdog thread) and fails that frame only. Thread-safe.
class ScriptDecoder final : public Decoder {
 public:
  // `name` is used in error messages (file name).
  ScriptDecoder(std::string source, std::string name, ScriptLimits limits);

  // Numeric leaves of `data`, flattened (FlattenJsonData). `errors` returned by
  // the script, an exception, a time-out or running out of memory are
  // kInvalidArgument with the reason.
  Result<std::vector<DecodedValue>> Decode(const DecodeInput& input) const override;
  const char* kind() const override { return "script"; }

  // The decodeUplink result as JSON ({"data":…,"warnings":…,"errors":…}) and
  // what the script logged: for `telecollect decode --script`.
  struct RawResult {
    std::string result_json;
    std::string log;
  };
  Result<RawResult> Run(const DecodeInput& input) const;

  // Compiles the script in this thread's context: syntax errors and a missing
  // decodeUplink are reported here, at load, with the line.
  Status Check() const;

 private:
  // Calls a prelude entry point (__tc_run, __tc_decode): its JSON string; with
  // `log_json`, also what the call logged (a JSON array, empty if nothing).
  Result<std::string> Call(const DecodeInput& input, const char* entry, std::string* log_json = nullptr) const;

  const std::string source_;
  const std::string name_;
  const ScriptLimits limits_;
  const uint64_t id_;  // keys this decoder's realm in each thread's engine
};

}  // namespace telecollect::decode
