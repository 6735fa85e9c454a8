// The SpiderMonkey side of ScriptDecoder: one engine (JSContext) per thread,
// one realm per decoder, a watchdog for time limits.
#include "decode/script/script_decoder.h"

#include <js/Array.h>
#include <js/GCVector.h>
#include <js/CompilationAndEvaluation.h>
#include <js/Conversions.h>
#include <js/ErrorReport.h>
#include <js/Exception.h>
#include <js/GCAPI.h>
#include <js/Initialization.h>
#include <js/Interrupt.h>
#include <js/PropertyAndElement.h>
#include <js/SourceText.h>
#include <jsapi.h>
#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "core/mutex.h"
#include "core/thread_name.h"
#include "decode/flatten.h"

namespace telecollect::decode {
namespace {

using SteadyMs = int64_t;
SteadyMs NowSteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Defined before each decoder's own script, in its realm.
constexpr char kPrelude[] = R"js(
var __tc_log = [];
var console = { log: function () {
  if (__tc_log.length < 50) __tc_log.push(Array.prototype.map.call(arguments, String).join(' ').slice(0, 500));
} };
console.info = console.warn = console.error = console.debug = console.log;
function __tc_run(bytes, fPort, recvTime) {
  __tc_log = [];
  var input = { bytes: bytes, recvTime: new Date(recvTime) };
  if (fPort !== null) input.fPort = fPort;
  var result = decodeUplink(input);
  return JSON.stringify({ result: result, log: __tc_log },
                        function (k, v) { return v === undefined ? null : v; });
}
function __tc_decode(bytes, fPort, recvTime) {
  if (__tc_log.length) __tc_log = [];
  var input = { bytes: bytes, recvTime: new Date(recvTime) };
  if (fPort !== null) input.fPort = fPort;
  return JSON.stringify(decodeUplink(input));
}
function __tc_log_json() { return JSON.stringify(__tc_log); }
)js";

JSClass kGlobalClass = {"global", JSCLASS_GLOBAL_FLAGS, &JS::DefaultGlobalClassOps, nullptr, nullptr, nullptr};

class Engine;

// Wakes engines whose call ran past its deadline. One thread per process.
class Watchdog {
 public:
  static Watchdog& Get() {
    static Watchdog* w = new Watchdog();  // never destroyed: threads may outlive statics
    return *w;
  }
  void Add(Engine* e) TC_EXCLUDES(mu_) {
    MutexLock lock(mu_);
    engines_.insert(e);
  }
  void Remove(Engine* e) TC_EXCLUDES(mu_) {
    MutexLock lock(mu_);
    engines_.erase(e);
  }

 private:
  Watchdog() {
    std::thread([this] {
      NameThisThread("tc-js-watchdog");
      Run();
    }).detach();
  }
  void Run() TC_EXCLUDES(mu_);
  Mutex mu_;
  std::set<Engine*> engines_ TC_GUARDED_BY(mu_);
};

// One per thread that runs script decoders.
class Engine {
 public:
  static Engine* ForThisThread() {
    thread_local std::unique_ptr<Engine> engine;
    if (!engine) {
      static std::once_flag init;
      // JS_ShutDown at exit stops SpiderMonkey's helper threads before its
      // statics go (without it the process crashes in exit). exit() runs the
      // main thread's thread_local destructors (its Engine) first, then this.
      std::call_once(init, [] {
        JS_Init();
        std::atexit([] { JS_ShutDown(); });
      });
      engine = std::make_unique<Engine>();
      if (!engine->cx_) engine.reset();
    }
    return engine.get();
  }

  Engine() {
    cx_ = JS_NewContext(JS::DefaultHeapMaxBytes);
    if (!cx_) return;
    if (!JS::InitSelfHostedCode(cx_)) {
      JS_DestroyContext(cx_);
      cx_ = nullptr;
      return;
    }
    JS_SetContextPrivate(cx_, this);
    JS_AddInterruptCallback(cx_, &Engine::OnInterrupt);
    Watchdog::Get().Add(this);
  }
  ~Engine() {
    Watchdog::Get().Remove(this);
    realms_.clear();  // roots go before the context
    if (cx_) JS_DestroyContext(cx_);
  }

  JSContext* cx() const { return cx_; }
  // Setting a GC parameter takes the GC lock: only when it changes.
  void SetHeapLimit(uint32_t bytes) {
    if (bytes == heap_limit_) return;
    JS_SetGCParameter(cx_, JSGC_MAX_BYTES, bytes);
    heap_limit_ = bytes;
  }

  // The decoder's global, compiling it on first use in this thread.
  Result<JSObject*> Realm(uint64_t id, const std::string& source, const std::string& name) {
    auto it = realms_.find(id);
    if (it != realms_.end()) return it->second->get();
    JS::RealmOptions options;
    JS::RootedObject global(cx_, JS_NewGlobalObject(cx_, &kGlobalClass, nullptr, JS::FireOnNewGlobalHook, options));
    if (!global) return Status::Internal("cannot create a JavaScript global");
    JSAutoRealm ar(cx_, global);
    if (!JS::InitRealmStandardClasses(cx_)) return Status::Internal("cannot initialise JavaScript standard classes");
    TC_RETURN_IF_ERROR(Evaluate(kPrelude, "telecollect-prelude.js"));
    TC_RETURN_IF_ERROR(Evaluate(source, name));
    JS::RootedValue f(cx_);
    if (!JS_GetProperty(cx_, global, "decodeUplink", &f) || !f.isObject() || !JS::IsCallable(&f.toObject())) {
      return Status::InvalidArgument(name + ": no function decodeUplink(input) is defined");
    }
    auto rooted = std::make_unique<JS::PersistentRootedObject>(cx_, global);
    JSObject* raw = rooted->get();
    realms_.emplace(id, std::move(rooted));
    return raw;
  }

  // Runs fn with a deadline and a memory allowance; kInvalidArgument with the
  // reason on failure.
  template <typename Fn>
  Status Guarded(const ScriptLimits& limits, const Fn& fn, const std::string& name) {
    expired_ = false;
    over_memory_ = false;
    memory_allowance_kb_ = static_cast<int64_t>(limits.heap_bytes >> 10);
    start_rss_kb_ = -1;  // the watchdog takes the baseline at its next tick
    deadline_ = NowSteadyMs() + limits.timeout_ms;
    const bool ok = fn();
    deadline_ = 0;
    if (ok) return Status::Ok();
    if (expired_) {
      JS_ClearPendingException(cx_);
      if (over_memory_) {
        JS_GC(cx_);  // give the memory back before the next frame
        return Status::InvalidArgument(name + ": decoder used more than its " + std::to_string(limits.heap_bytes >> 20) +
                                       " MiB memory limit (decoders.script_heap_mb) and was stopped");
      }
      return Status::InvalidArgument(name + ": decoder ran longer than its " + std::to_string(limits.timeout_ms) +
                                     " ms limit (decoders.script_timeout) and was stopped");
    }
    return Status::InvalidArgument(name + ": " + PendingError());
  }

  // Called by the watchdog. Memory is watched on the process's resident size:
  // SpiderMonkey caps its GC heap (JSGC_MAX_BYTES) but not the malloc'd
  // elements of arrays, so a decoder filling arrays is stopped here.
  void CheckLimits(SteadyMs now, int64_t rss_kb) {
    const SteadyMs d = deadline_.load();
    if (d == 0) return;
    int64_t base = start_rss_kb_.load();
    if (base < 0) {
      start_rss_kb_ = rss_kb;
      return;
    }
    if (rss_kb - base > memory_allowance_kb_.load()) over_memory_ = true;
    if ((now > d || over_memory_) && !expired_.exchange(true)) JS_RequestInterruptCallback(cx_);
  }

  bool running() const { return deadline_.load() != 0; }

  static int64_t ResidentKb() {
    FILE* f = std::fopen("/proc/self/statm", "r");
    if (!f) return 0;
    long size = 0, resident = 0;
    const int n = std::fscanf(f, "%ld %ld", &size, &resident);
    std::fclose(f);
    return n == 2 ? resident * (sysconf(_SC_PAGESIZE) / 1024) : 0;
  }

 private:
  static bool OnInterrupt(JSContext* cx) {
    auto* self = static_cast<Engine*>(JS_GetContextPrivate(cx));
    return !(self && self->expired_.load());  // false: stop the script (uncatchable)
  }

  Status Evaluate(std::string_view code, const std::string& name) {
    JS::CompileOptions opts(cx_);
    opts.setFileAndLine(name.c_str(), 1);
    JS::SourceText<mozilla::Utf8Unit> text;
    if (!text.init(cx_, code.data(), code.size(), JS::SourceOwnership::Borrowed)) {
      return Status::InvalidArgument(name + ": " + PendingError());
    }
    JS::RootedValue ignored(cx_);
    if (!JS::Evaluate(cx_, opts, text, &ignored)) return Status::InvalidArgument(PendingError());
    return Status::Ok();
  }

  // The pending exception as "file:line: message", cleared.
  std::string PendingError() {
    if (!JS_IsExceptionPending(cx_)) return "decoder stopped (out of memory or terminated)";
    JS::ExceptionStack stack(cx_);
    if (!JS::StealPendingExceptionStack(cx_, &stack)) return "unknown JavaScript error";
    JS::ErrorReportBuilder report(cx_);
    if (!report.init(cx_, stack, JS::ErrorReportBuilder::WithSideEffects) || !report.report()) {
      return "JavaScript error";
    }
    std::string msg;
    if (report.report()->filename) msg += std::string(report.report()->filename) + ":";
    msg += std::to_string(report.report()->lineno) + ": ";
    if (const char* m = report.report()->message().c_str()) msg += m;
    return msg;
  }

  JSContext* cx_ = nullptr;
  std::map<uint64_t, std::unique_ptr<JS::PersistentRootedObject>> realms_;
  uint32_t heap_limit_ = 0;
  std::atomic<SteadyMs> deadline_{0};
  std::atomic<bool> expired_{false};
  std::atomic<bool> over_memory_{false};
  std::atomic<int64_t> start_rss_kb_{0};
  std::atomic<int64_t> memory_allowance_kb_{0};
};

void Watchdog::Run() {
  while (true) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const SteadyMs now = NowSteadyMs();
    MutexLock lock(mu_);
    bool any = false;
    for (Engine* e : engines_) any |= e->running();
    if (!any) continue;
    const int64_t rss = Engine::ResidentKb();
    for (Engine* e : engines_) e->CheckLimits(now, rss);
  }
}

std::atomic<uint64_t> g_next_id{1};

// The string's UTF-8 bytes written once, straight into the result (no
// intermediate copy), with room after them for simdjson's padding.
// GCC 12 takes JS::Rooted's registration on the context's root list for a
// dangling pointer (it is unregistered by the destructor): a false positive.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#endif
std::string ToUtf8(JSContext* cx, JS::HandleValue v) {
  JS::RootedString s(cx, JS::ToString(cx, v));
  if (!s) return {};
  JSLinearString* linear = JS_EnsureLinearString(cx, s);
  if (!linear) return {};
  const size_t n = JS::GetDeflatedUTF8StringLength(linear);
  std::string out;
  out.reserve(n + simdjson::SIMDJSON_PADDING);
  out.resize(n);
  JS::DeflateStringToUTF8Buffer(linear, mozilla::Span<char>(out.data(), n));
  return out;
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

}  // namespace

ScriptDecoder::ScriptDecoder(std::string source, std::string name, ScriptLimits limits)
    : source_(std::move(source)), name_(std::move(name)), limits_(limits), id_(g_next_id++) {}

Status ScriptDecoder::Check() const {
  Engine* engine = Engine::ForThisThread();
  if (!engine) return Status::Internal("the JavaScript engine could not start");
  return engine->Realm(id_, source_, name_).status();
}

Result<std::string> ScriptDecoder::Call(const DecodeInput& in, const char* entry, std::string* log_json) const {
  Engine* engine = Engine::ForThisThread();
  if (!engine) return Status::Internal("the JavaScript engine could not start");
  engine->SetHeapLimit(limits_.heap_bytes);
  TC_ASSIGN_OR_RETURN(JSObject* global_raw, engine->Realm(id_, source_, name_));
  JSContext* cx = engine->cx();
  JS::RootedObject global(cx, global_raw);
  JSAutoRealm ar(cx, global);
  JS::RootedValueVector values(cx);
  if (!values.resize(in.bytes.size())) return Status::Internal("out of memory building input.bytes");
  for (size_t i = 0; i < in.bytes.size(); ++i) values[i].setInt32(in.bytes[i]);
  JS::RootedObject bytes(cx, JS::NewArrayObject(cx, values));
  if (!bytes) return Status::Internal("out of memory building input.bytes");
  JS::RootedValueArray<3> args(cx);
  args[0].setObject(*bytes);
  if (in.fport) args[1].setInt32(*in.fport);
  else args[1].setNull();
  args[2].setDouble(static_cast<double>(in.received_at));
  JS::RootedValue out(cx);
  TC_RETURN_IF_ERROR(engine->Guarded(
      limits_, [&] { return JS_CallFunctionName(cx, global, entry, args, &out); }, name_));
  if (!out.isString()) return Status::InvalidArgument(name_ + ": decodeUplink returned nothing JSON can represent");
  if (log_json) {
    // What the call logged, serialised only when there is something.
    log_json->clear();
    JS::RootedValue log(cx);
    uint32_t lines = 0;
    if (JS_GetProperty(cx, global, "__tc_log", &log) && log.isObject()) {
      JS::RootedObject array(cx, &log.toObject());
      if (!JS::GetArrayLength(cx, array, &lines)) lines = 0;
    }
    JS::RootedValue text(cx);
    if (lines > 0 && JS_CallFunctionName(cx, global, "__tc_log_json", JS::HandleValueArray::empty(), &text)) {
      *log_json = ToUtf8(cx, text);
    }
    JS_ClearPendingException(cx);
  }
  return ToUtf8(cx, out);
}

Result<ScriptDecoder::RawResult> ScriptDecoder::Run(const DecodeInput& in) const {
  TC_ASSIGN_OR_RETURN(std::string json, Call(in, "__tc_run"));
  // Split {"result": …, "log": […]} without a second JS round trip.
  const std::string prefix = "{\"result\":";
  const size_t log_at = json.rfind(",\"log\":");
  if (json.compare(0, prefix.size(), prefix) != 0 || log_at == std::string::npos) {
    return Status::InvalidArgument(name_ + ": decodeUplink returned nothing JSON can represent");
  }
  RawResult r;
  r.result_json = json.substr(prefix.size(), log_at - prefix.size());
  r.log = json.substr(log_at + 7, json.size() - log_at - 8);
  return r;
}

namespace {

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

}  // namespace

Result<std::vector<DecodedValue>> ScriptDecoder::Decode(const DecodeInput& in) const {
  // With somewhere to keep them, what the script logged and warned goes to the frame's decode record.
  std::string log_json;
  TC_ASSIGN_OR_RETURN(std::string json, Call(in, "__tc_decode", in.notes ? &log_json : nullptr));
  // {"data": {...}, "errors": [...], "warnings": [...]}: the script's own errors fail the frame.
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json).get(root) || root.type() != simdjson::dom::element_type::OBJECT) {
    return Status::InvalidArgument(name_ + ": decodeUplink must return an object {data, warnings, errors}");
  }
  if (in.notes) {
    std::string notes;
    simdjson::dom::array warnings;
    if (!root["warnings"].get(warnings) && warnings.size() > 0) notes = "warnings: " + JoinTexts(warnings, " | ");
    thread_local simdjson::dom::parser log_parser;
    simdjson::dom::array lines;
    if (!log_json.empty() && !log_parser.parse(log_json).get(lines) && lines.size() > 0) {
      notes += (notes.empty() ? "" : "; ") + std::string("console: ") + JoinTexts(lines, " | ");
    }
    *in.notes = std::move(notes);
  }
  simdjson::dom::array errors;
  if (!root["errors"].get(errors) && errors.size() > 0) {
    return Status::InvalidArgument(name_ + ": " + JoinTexts(errors, "; "));
  }
  simdjson::dom::element data;
  if (root["data"].get(data) || data.type() != simdjson::dom::element_type::OBJECT) {
    return Status::InvalidArgument(name_ + ": decodeUplink returned no data object");
  }
  std::vector<DecodedValue> out;
  FlattenJsonObject(data, out);
  return out;
}

}  // namespace telecollect::decode
