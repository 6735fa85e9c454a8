// The decode-worker process (worker_main.h): SpiderMonkey behind a pipe,
// a fresh global per frame, sandboxed after start.
#include "decode/script/worker_main.h"

#include <fcntl.h>
#include <js/Array.h>
#include <js/CompilationAndEvaluation.h>
#include <js/Conversions.h>
#include <js/ErrorReport.h>
#include <js/Exception.h>
#include <js/GCAPI.h>
#include <js/GCVector.h>
#include <js/Initialization.h>
#include <js/PropertyAndElement.h>
#include <js/SourceText.h>
#include <js/experimental/JSStencil.h>
#include <jsapi.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include "decode/script/worker_protocol.h"
#include "decode/script/worker_sandbox.h"

namespace telecollect::decode::worker {
namespace {

constexpr char kFlag[] = "--tc-decode-worker";

// Runs first in each frame's global. Its value is the function that calls
// decodeUplink and serialises the outcome, holding its own references to the
// intrinsics it uses: a decoder that replaces JSON.stringify or Date changes
// only what its own frame returns (and the next frame has a new global).
// `console` keeps up to %LINES% lines / %BYTES% characters; past that it
// counts (log_over), and the frame fails naming the cap.
constexpr char kPrelude[] = R"js((function (global) {
  'use strict';
  var stringify = JSON.stringify, parse = JSON.parse, DateCtor = Date, StringCtor = String;
  function noUndefined(k, v) { return v === undefined ? null : v; }
  var log = [], logChars = 0, logOver = 0;
  function add() {
    var line = '';
    for (var i = 0; i < arguments.length; i++) line += (i ? ' ' : '') + StringCtor(arguments[i]);
    if (log.length >= %LINES% || logChars + line.length > %BYTES%) { logOver++; return; }
    logChars += line.length;
    log[log.length] = line;
  }
  global.console = { log: add, info: add, warn: add, error: add, debug: add, trace: add };
  return function (bytes, fPort, recvTime) {
    var input = { bytes: bytes, recvTime: new DateCtor(recvTime) };
    if (fPort !== null) input.fPort = fPort;
    var result = global.decodeUplink(input);
    var text = stringify({ result: result }, noUndefined);
    // normalizeUplink (The Things Stack), when defined, gets a copy of the
    // decoded data after it was serialised: it cannot change what is stored
    // of the raw names. Its failure fails only the normalized measurements.
    var normalized = null;
    if (typeof global.normalizeUplink === 'function' && result && result.data &&
        !(result.errors && result.errors.length)) {
      try {
        normalized = global.normalizeUplink({ data: parse(stringify(result.data, noUndefined)) });
        if (normalized === undefined) normalized = null;
      } catch (e) {
        normalized = { errors: ['normalizeUplink: ' + StringCtor(e)] };
      }
    }
    var ntext = stringify(normalized, noUndefined);
    return text.slice(0, -1) + ',"normalized":' + (ntext === undefined ? 'null' : ntext) +
           ',"log":' + stringify(log) + ',"log_over":' + logOver + '}';
  };
})(this)
)js";

JSClass kGlobalClass = {"global", JSCLASS_GLOBAL_FLAGS, &JS::DefaultGlobalClassOps, nullptr, nullptr, nullptr};

std::string Replace(std::string text, const std::string& key, const std::string& value) {
  for (size_t at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size())) {
    text.replace(at, key.size(), value);
  }
  return text;
}

// GCC 12 takes JS::Rooted's registration on the context's root list for a
// dangling pointer (it is unregistered by the destructor): a false positive.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#endif

class Engine {
 public:
  explicit Engine(const WorkerSettings& settings) : settings_(settings) {}
  ~Engine() {
    stencils_.clear();
    prelude_ = nullptr;
    compile_global_.reset();
    if (cx_) JS_DestroyContext(cx_);
  }

  bool Start() {
    cx_ = JS_NewContext(JS::DefaultHeapMaxBytes);
    if (!cx_ || !JS::InitSelfHostedCode(cx_)) return false;
    JS_SetGCParameter(cx_, JSGC_MAX_BYTES, settings_.heap_bytes);
    const std::string prelude = Replace(Replace(kPrelude, "%LINES%", std::to_string(settings_.console_lines)),
                                        "%BYTES%", std::to_string(settings_.console_bytes));
    // Compiling reports errors as exceptions, which need a realm: this one.
    JS::RealmOptions options;
    compile_global_.init(cx_, JS_NewGlobalObject(cx_, &kGlobalClass, nullptr, JS::FireOnNewGlobalHook, options));
    if (!compile_global_) return false;
    std::string error;
    prelude_ = Compile(prelude, "telecollect-prelude.js", &error);
    return prelude_ != nullptr;
  }

  // One request's answer.
  Response Handle(const Request& req) {
    if (req.op == Op::kProbe) Probe(req.name);
    auto it = stencils_.find(req.decoder_id);
    if (it == stencils_.end()) {
      if (req.source.empty()) return {Code::kNeedSource, {}};
      std::string error;
      RefPtr<JS::Stencil> stencil = Compile(req.source, req.name, &error);
      if (!stencil) return {Code::kError, error};
      if (stencils_.size() >= 64) stencils_.clear();  // bounded: evicted ones are sent again
      it = stencils_.emplace(req.decoder_id, std::move(stencil)).first;
    }
    Response r = RunFrame(req, it->second);
    // Garbage of past frames (their globals) goes before it adds up.
    if (JS_GetGCParameter(cx_, JSGC_BYTES) > settings_.heap_bytes / 4) JS_GC(cx_);
    else JS_MaybeGC(cx_);
    return r;
  }

 private:
  RefPtr<JS::Stencil> Compile(const std::string& code, const std::string& name, std::string* error) {
    JSAutoRealm ar(cx_, compile_global_);
    JS::CompileOptions opts(cx_);
    opts.setFileAndLine(name.c_str(), 1);
    JS::SourceText<mozilla::Utf8Unit> text;
    if (!text.init(cx_, code.data(), code.size(), JS::SourceOwnership::Borrowed)) {
      *error = name + ": " + PendingError();
      return nullptr;
    }
    RefPtr<JS::Stencil> stencil = JS::CompileGlobalScriptToStencil(cx_, opts, text);
    if (!stencil) *error = PendingError();
    return stencil;
  }

  // Instantiates and runs a compiled script in the current realm.
  bool Execute(JS::Stencil* stencil, const std::string& name, JS::MutableHandleValue out) {
    JS::CompileOptions opts(cx_);
    opts.setFileAndLine(name.c_str(), 1);
    JS::InstantiateOptions instantiate(opts);
    JS::RootedScript script(cx_, JS::InstantiateGlobalStencil(cx_, instantiate, stencil));
    return script && JS_ExecuteScript(cx_, script, out);
  }

  Response RunFrame(const Request& req, JS::Stencil* decoder) {
    JS::RealmOptions options;
    JS::RootedObject global(cx_, JS_NewGlobalObject(cx_, &kGlobalClass, nullptr, JS::FireOnNewGlobalHook, options));
    if (!global) return Failure("cannot create a JavaScript global");
    JSAutoRealm ar(cx_, global);
    if (!JS::InitRealmStandardClasses(cx_)) return Failure("cannot initialise the JavaScript standard classes");
    JS::RootedValue run(cx_);
    if (!Execute(prelude_, "telecollect-prelude.js", &run) || !run.isObject()) return Failure("prelude failed");
    JS::RootedValue ignored(cx_);
    if (!Execute(decoder, req.name, &ignored)) return Failure(PendingError());
    JS::RootedValue f(cx_);
    if (!JS_GetProperty(cx_, global, "decodeUplink", &f) || !f.isObject() || !JS::IsCallable(&f.toObject())) {
      JS_ClearPendingException(cx_);
      return {Code::kError, req.name + ": no function decodeUplink(input) is defined"};
    }
    if (req.op == Op::kCheck) return {Code::kOk, "{}"};

    JS::RootedValueVector values(cx_);
    if (!values.resize(req.bytes.size())) return Failure("out of memory building input.bytes");
    for (size_t i = 0; i < req.bytes.size(); ++i) values[i].setInt32(static_cast<uint8_t>(req.bytes[i]));
    JS::RootedObject bytes(cx_, JS::NewArrayObject(cx_, values));
    if (!bytes) return Failure("out of memory building input.bytes");
    JS::RootedValueArray<3> args(cx_);
    args[0].setObject(*bytes);
    if (req.fport) args[1].setInt32(*req.fport);
    else args[1].setNull();
    args[2].setDouble(static_cast<double>(req.received_at));
    JS::RootedValue out(cx_);
    if (!JS_CallFunctionValue(cx_, nullptr, run, args, &out)) return Failure(PendingError());
    if (!out.isString()) return {Code::kError, req.name + ": decodeUplink returned nothing JSON can represent"};
    JS::RootedString s(cx_, out.toString());
    JSLinearString* linear = JS_EnsureLinearString(cx_, s);
    if (!linear) return Failure(PendingError());
    const size_t n = JS::GetDeflatedUTF8StringLength(linear);
    if (n > req.max_output_bytes) {
      return {Code::kError, "output of " + std::to_string(n) + " bytes, over the cap of " +
                                std::to_string(req.max_output_bytes) + " bytes per frame"};
    }
    std::string text(n, '\0');
    JS::DeflateStringToUTF8Buffer(linear, mozilla::Span<char>(text.data(), n));
    return {Code::kOk, std::move(text)};
  }

  Response Failure(const std::string& message) {
    JS_ClearPendingException(cx_);
    if (message.find("out of memory") != std::string::npos ||
        message.find("allocation size overflow") != std::string::npos ||
        message.find("stopped (out of memory") != std::string::npos) {
      JS_GC(cx_);  // give it back before the next frame
      return {Code::kError, message + ": the decoder used more than its " + std::to_string(settings_.heap_bytes >> 20) +
                                " MiB memory limit (decoders.script_heap_mb) and was stopped"};
    }
    return {Code::kError, message};
  }

  // The pending exception as "file:line: message", cleared.
  std::string PendingError() {
    if (!JS_IsExceptionPending(cx_)) return "decoder stopped (out of memory or terminated)";
    JS::ExceptionStack stack(cx_);
    if (!JS::StealPendingExceptionStack(cx_, &stack)) return "unknown JavaScript error";
    JS::ErrorReportBuilder report(cx_);
    if (!report.init(cx_, stack, JS::ErrorReportBuilder::NoSideEffects) || !report.report()) {
      JS_ClearPendingException(cx_);
      return "JavaScript error";
    }
    JS_ClearPendingException(cx_);
    std::string msg;
    if (report.report()->filename) msg += std::string(report.report()->filename) + ":";
    if (report.report()->lineno) msg += std::to_string(report.report()->lineno) + ": ";
    if (const char* m = report.report()->message().c_str()) msg += m;
    return msg;
  }

  // Makes the named system call: the sandbox must kill the process first.
  [[noreturn]] static void Probe(const std::string& what) {
    if (what == "open") {
      const int fd = ::open("/etc/hostname", O_RDONLY);
      std::_Exit(fd >= 0 ? 10 : 11);
    }
    if (what == "socket") {
      const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      std::_Exit(fd >= 0 ? 12 : 13);
    }
    if (what == "fork") {
      const pid_t pid = ::fork();
      std::_Exit(pid >= 0 ? 14 : 15);
    }
    std::_Exit(16);
  }

  const WorkerSettings settings_;
  JSContext* cx_ = nullptr;
  JS::PersistentRootedObject compile_global_;
  RefPtr<JS::Stencil> prelude_;
  std::map<uint64_t, RefPtr<JS::Stencil>> stencils_;
};

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

// VmData of this process, in bytes (0 if unknown).
uint64_t DataBytes() {
  FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  uint64_t kb = 0;
  while (std::fgets(line, sizeof line, f)) {
    if (std::sscanf(line, "VmData: %lu kB", &kb) == 1) break;
  }
  std::fclose(f);
  return kb << 10;
}

// A frame of a tiny decoder, run before the sandbox so that what the engine
// sets up lazily (helper threads, JIT code pages) exists already.
void WarmUp(Engine& engine) {
  Request r;
  r.op = Op::kDecode;
  r.decoder_id = ~uint64_t{0};
  r.name = "warm-up.js";
  r.source = "function decodeUplink(i) { console.log(JSON.stringify(i)); return {data: {v: i.bytes[0] * 1.5}}; }";
  r.bytes = "\x01\x02";
  for (int i = 0; i < 3; ++i) (void)engine.Handle(r);
}

int Serve(int fd, const WorkerSettings& settings) {
  if (!JS_Init()) return 70;
  int code = 0;
  {
    Engine engine(settings);
    if (!engine.Start()) return 71;
    WarmUp(engine);
    SandboxLimits limits;
    limits.data_bytes = DataBytes() + 2ull * settings.heap_bytes;
    limits.cpu_seconds = settings.cpu_seconds;
    if (Status s = ApplySandbox(limits); !s.ok()) {
      std::fprintf(stderr, "telecollect decode-worker: %s\n", s.message().c_str());
      return 72;
    }
    // Ready: the parent's frame deadlines start after this, not during start-up.
    if (!WriteMessage(fd, EncodeResponse({Code::kOk, "ready"})).ok()) return 74;
    while (true) {
      auto message = ReadMessage(fd, kMaxRequestBytes);
      if (!message.ok()) {
        code = message.status().code() == StatusCode::kNotFound ? 0 : 73;
        break;
      }
      Response response;
      if (auto req = DecodeRequest(*message); req.ok()) {
        response = engine.Handle(*req);
      } else {
        response = {Code::kError, req.status().message()};
      }
      if (!WriteMessage(fd, EncodeResponse(response)).ok()) {
        code = 74;
        break;
      }
    }
  }
  // No JS_ShutDown: the process ends here, and its helper threads with it.
  return code;
}

uint64_t ParseU64(const char* text) { return std::strtoull(text, nullptr, 10); }

// Runs before main() (glibc passes argc/argv to constructors): a program
// started as a decode worker never reaches its own main().
__attribute__((constructor)) void EnterWorkerModeIfAsked(int argc, char** argv, char** /*envp*/) {
  if (argc < 7 || std::strcmp(argv[1], kFlag) != 0) return;
  WorkerSettings settings;
  const int fd = static_cast<int>(ParseU64(argv[2]));
  settings.heap_bytes = static_cast<uint32_t>(ParseU64(argv[3]));
  settings.cpu_seconds = ParseU64(argv[4]);
  settings.console_lines = static_cast<uint32_t>(ParseU64(argv[5]));
  settings.console_bytes = static_cast<uint32_t>(ParseU64(argv[6]));
  std::_Exit(RunWorker(fd, settings));
}

}  // namespace

const char* WorkerFlag() { return kFlag; }

int RunWorker(int fd, const WorkerSettings& settings) {
  ::prctl(PR_SET_NAME, "tc-decode-wrk");  // what ps and top show (the exec'd path is /proc/self/exe)
  // Nothing of the parent's but the pipe and stdio: no descriptor to misuse.
  ::close_range(3, fd - 1 >= 3 ? static_cast<unsigned>(fd - 1) : 2, 0);
  ::close_range(static_cast<unsigned>(fd) + 1, ~0u, 0);
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd >= 0) {
    ::dup2(null_fd, 0);
    ::close(null_fd);
  }
  return Serve(fd, settings);
}

}  // namespace telecollect::decode::worker
