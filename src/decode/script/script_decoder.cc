// ScriptDecoder: a frame goes to a decode worker process (worker_pool.h); what
// comes back is checked against the output caps and flattened here.
#include "decode/script/script_decoder.h"

#include <simdjson.h>

#include <atomic>
#include <thread>

#include "decode/flatten.h"
#include "decode/vocabulary.h"
#include "decode/script/worker_pool.h"

namespace telecollect::decode {
namespace {

std::atomic<uint64_t> g_next_id{1};

worker::WorkerPool& PoolFor(const ScriptLimits& limits) {
  worker::PoolSettings s;
  s.worker.heap_bytes = limits.heap_bytes;
  s.worker.console_lines = limits.max_console_lines;
  s.worker.console_bytes = limits.max_console_bytes;
  s.worker.cpu_seconds = 0;  // from frames_per_worker × timeout
  s.frame_timeout_ms = limits.timeout_ms;
  const size_t cores = std::max(1u, std::thread::hardware_concurrency());
  s.max_workers = limits.workers ? limits.workers : std::max<size_t>(2, 2 * cores);
  return worker::WorkerPool::Shared(s);
}

// The strings of a JSON array joined with `sep` (other values minified).
std::string JoinTexts(simdjson::dom::array items, std::string_view sep) {
  std::string text;
  for (simdjson::dom::element e : items) {
    std::string_view sv;
    if (!text.empty()) text += sep;
    text += e.get(sv) ? simdjson::minify(e) : std::string(sv);
  }
  return text;
}

Status OverCap(const std::string& name, size_t n, const char* what, uint32_t cap, const char* option) {
  return Status::InvalidArgument(name + ": " + std::to_string(n) + " " + what + ", over the cap of " +
                                 std::to_string(cap) + " per frame (" + option + ")");
}

}  // namespace

ScriptDecoder::ScriptDecoder(std::string source, std::string name, ScriptLimits limits)
    : source_(std::move(source)), name_(std::move(name)), limits_(limits), id_(g_next_id++) {}

Status ScriptDecoder::Check() const {
  if (source_.size() > worker::kMaxSourceBytes) {
    return Status::InvalidArgument(name_ + ": a script decoder is at most 1 MiB");
  }
  static const Bytes kNone;
  return Call({kNone, std::nullopt, 0}, true).status();
}

Result<std::string> ScriptDecoder::Call(const DecodeInput& in, bool check_only) const {
  if (source_.size() > worker::kMaxSourceBytes) {
    return Status::InvalidArgument(name_ + ": a script decoder is at most 1 MiB");
  }
  worker::Request req;
  req.op = check_only ? worker::Op::kCheck : worker::Op::kDecode;
  req.decoder_id = id_;
  req.name = name_;
  req.bytes.assign(reinterpret_cast<const char*>(in.bytes.data()), in.bytes.size());
  req.fport = in.fport;
  req.received_at = in.received_at;
  req.max_output_bytes = limits_.max_output_bytes;
  TC_ASSIGN_OR_RETURN(worker::Response r, PoolFor(limits_).Call(std::move(req), source_, in.not_after));
  if (r.code != worker::Code::kOk) {
    // Messages from the engine start with the file name; others get it.
    if (r.text.compare(0, name_.size(), name_) == 0) return Status::InvalidArgument(r.text);
    return Status::InvalidArgument(name_ + ": " + r.text);
  }
  return std::move(r.text);
}

Result<ScriptDecoder::RawResult> ScriptDecoder::Run(const DecodeInput& in) const {
  TC_ASSIGN_OR_RETURN(std::string json, Call(in, false));
  simdjson::dom::parser parser;
  simdjson::dom::element root, result;
  simdjson::dom::array log;
  if (parser.parse(json).get(root) || root["result"].get(result) || root["log"].get(log)) {
    return Status::InvalidArgument(name_ + ": decodeUplink returned nothing JSON can represent");
  }
  return RawResult{simdjson::minify(result), simdjson::minify(log)};
}

Result<std::vector<DecodedValue>> ScriptDecoder::Decode(const DecodeInput& in) const {
  TC_ASSIGN_OR_RETURN(std::string json, Call(in, false));
  // {"result": {"data": {...}, "errors": [...], "warnings": [...]}, "log": [...], "log_over": n}
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root, result;
  if (parser.parse(json).get(root) || root["result"].get(result) ||
      result.type() != simdjson::dom::element_type::OBJECT) {
    return Status::InvalidArgument(name_ + ": decodeUplink must return an object {data, warnings, errors}");
  }
  uint64_t log_over = 0;
  simdjson::dom::array lines;
  const bool has_log = !root["log"].get(lines);
  if (!root["log_over"].get(log_over) && log_over > 0) {
    return Status::InvalidArgument(name_ + ": console output over the cap of " +
                                   std::to_string(limits_.max_console_lines) + " lines or " +
                                   std::to_string(limits_.max_console_bytes) + " characters per frame (" +
                                   std::to_string(log_over) + " more calls)");
  }
  simdjson::dom::array warnings, errors;
  const bool has_warnings = !result["warnings"].get(warnings);
  if (has_warnings && warnings.size() > limits_.max_warnings) {
    return OverCap(name_, warnings.size(), "warnings", limits_.max_warnings, "decoders: warnings per frame");
  }
  const bool has_errors = !result["errors"].get(errors);
  if (has_errors && errors.size() > limits_.max_errors) {
    return OverCap(name_, errors.size(), "errors", limits_.max_errors, "decoders: errors per frame");
  }
  if (in.notes) {
    // What the script logged and warned goes to the frame's decode record.
    std::string notes;
    if (has_warnings && warnings.size() > 0) notes = "warnings: " + JoinTexts(warnings, " | ");
    if (has_log && lines.size() > 0) {
      notes += (notes.empty() ? "" : "; ") + std::string("console: ") + JoinTexts(lines, " | ");
    }
    *in.notes = std::move(notes);
  }
  if (has_errors && errors.size() > 0) return Status::InvalidArgument(name_ + ": " + JoinTexts(errors, "; "));
  simdjson::dom::element data;
  if (result["data"].get(data) || data.type() != simdjson::dom::element_type::OBJECT) {
    return Status::InvalidArgument(name_ + ": decodeUplink returned no data object");
  }
  std::vector<DecodedValue> out;
  FlattenJsonObject(data, out);
  // normalizeUplink's measurements, named by the vocabulary, beside the raw names.
  simdjson::dom::element normalized;
  if (!root["normalized"].get(normalized) && normalized.type() == simdjson::dom::element_type::OBJECT) {
    std::vector<std::string> problems;
    simdjson::dom::array nerrors, nwarnings;
    simdjson::dom::element ndata;
    if (!normalized["errors"].get(nerrors) && nerrors.size() > 0) {
      problems.push_back("normalizeUplink failed: " + JoinTexts(nerrors, "; "));
    } else if (!normalized["data"].get(ndata)) {
      NormalizedToValues(ndata, out, problems);
    }
    if (!normalized["warnings"].get(nwarnings) && nwarnings.size() > 0) {
      problems.push_back("normalizeUplink warnings: " + JoinTexts(nwarnings, " | "));
    }
    if (in.notes && !problems.empty()) {
      std::string text = "normalized: ";
      for (size_t i = 0; i < problems.size() && i < 20; ++i) text += (i ? " | " : "") + problems[i];
      *in.notes += (in.notes->empty() ? "" : "; ") + text;
    }
  }
  if (out.size() > limits_.max_measurements) {
    return OverCap(name_, out.size(), "measurements", limits_.max_measurements, "decoders: measurements per frame");
  }
  return out;
}

}  // namespace telecollect::decode
