#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace telecollect::decode::worker {

// The pipe between the server and a decode-worker process (worker_pool.h,
// worker_main.h). Each message is a 4-byte little-endian length, then that
// many bytes; a length over the reader's bound is refused (the peer is then
// treated as broken). Fields inside a message are u8/u32/i64 little-endian
// and strings as u32 length + bytes.

// Largest request: a decoder's source (decoders are at most 1 MiB, see
// kMaxSourceBytes) plus a frame.
inline constexpr uint32_t kMaxRequestBytes = (1u << 20) + (64u << 10);
inline constexpr uint32_t kMaxSourceBytes = 1u << 20;

enum class Op : uint8_t {
  kDecode = 1,  // run decodeUplink on a frame: kOk with {"result":…,"log":[…],"log_over":n}
  kCheck = 2,   // compile the decoder and look for decodeUplink: kOk with "{}"
  kProbe = 3,   // tests only: make the system call named in `name` (the sandbox must kill the worker)
};

struct Request {
  Op op = Op::kDecode;
  uint64_t decoder_id = 0;  // the worker caches each decoder's compiled script under this id
  std::string name;         // file name, for error messages
  std::string source;       // empty when the worker is believed to have it already
  std::string bytes;        // the frame's payload
  std::optional<int> fport;
  int64_t received_at = 0;  // ms since the epoch
  uint32_t max_output_bytes = 1u << 20;  // a longer result fails the frame
};

enum class Code : uint8_t {
  kOk = 0,
  kError = 1,        // the script failed (message in `text`): this frame only
  kNeedSource = 2,   // the worker does not have this decoder: send it again with its source
};

struct Response {
  Code code = Code::kOk;
  std::string text;  // the JSON result, or the error message
};

std::string EncodeRequest(const Request& r);
Result<Request> DecodeRequest(std::string_view message);
std::string EncodeResponse(const Response& r);
Result<Response> DecodeResponse(std::string_view message);

// Whole messages on the socket `fd` (a socketpair end). Blocking I/O, for the worker (no deadline: the
// parent enforces time). ReadMessage answers kNotFound at a clean end of file.
Status WriteMessage(int fd, std::string_view payload);
Result<std::string> ReadMessage(int fd, uint32_t max_bytes);

// The parent's side: the same with a deadline (kUnavailable when it passes,
// kIoError when the peer went away, kInvalidArgument for an over-long length).
using Deadline = std::chrono::steady_clock::time_point;
Status WriteMessageUntil(int fd, std::string_view payload, Deadline deadline);
Result<std::string> ReadMessageUntil(int fd, uint32_t max_bytes, Deadline deadline);

}  // namespace telecollect::decode::worker
