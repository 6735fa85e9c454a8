#pragma once

#include <cstdint>
#include <string>

#include "decode/decoder.h"

namespace telecollect::decode {

// Limits for JavaScript decoders ([decoders] script_* options, docs/decoders.md).
struct ScriptLimits {
  int64_t timeout_ms = 100;        // wall clock per decodeUplink call (the worker is killed past it)
  uint32_t heap_bytes = 64u << 20;  // memory one worker may add to what it uses at start
  size_t workers = 0;              // decode worker processes; 0: two per core (at least 2)
  // Per frame; more fails the frame with a reason naming the cap.
  uint32_t max_output_bytes = 64u << 10;  // decodeUplink's result, as JSON
  uint32_t max_warnings = 100;
  uint32_t max_errors = 100;
  uint32_t max_console_lines = 100;
  uint32_t max_console_bytes = 16u << 10;
  uint32_t max_measurements = 1000;
};

// A decoder written against the LoRaWAN Payload Codec API, as vendors publish
// them: `function decodeUplink(input)` with input {bytes, fPort, recvTime},
// returning {data, warnings, errors}. Runs unmodified in SpiderMonkey 102,
// in a sandboxed decode-worker process (worker_pool.h, worker_main.h): a new
// global per frame, the OS limits memory (RLIMIT_DATA) and system calls
// (seccomp), this process limits time (SIGKILL past the deadline).
// `console.log` and friends are captured (never printed); there is no I/O;
// `undefined` members read as null. Thread-safe.
class ScriptDecoder final : public Decoder {
 public:
  // `name` is used in error messages (file name).
  ScriptDecoder(std::string source, std::string name, ScriptLimits limits);

  // Numeric leaves of `data`, flattened (FlattenJsonData). `errors` returned by
  // the script, an exception, a time-out, running out of memory, a crash or an
  // output cap are kInvalidArgument with the reason; no free worker before
  // input.not_after is kUnavailable.
  Result<std::vector<DecodedValue>> Decode(const DecodeInput& input) const override;
  const char* kind() const override { return "script"; }

  // The decodeUplink result as JSON ({"data":…,"warnings":…,"errors":…}) and
  // what the script logged: for `telecollect decode --script`.
  struct RawResult {
    std::string result_json;
    std::string log;
  };
  Result<RawResult> Run(const DecodeInput& input) const;

  // Compiles the script in a worker: syntax errors and a missing decodeUplink
  // are reported here, at load, with the line.
  Status Check() const;

 private:
  // The worker's answer {"result":…,"log":[…],"log_over":n}, caps on the
  // console applied.
  Result<std::string> Call(const DecodeInput& input, bool check_only) const;

  const std::string source_;
  const std::string name_;
  const ScriptLimits limits_;
  const uint64_t id_;  // names this decoder's compiled script in the workers
};

}  // namespace telecollect::decode
