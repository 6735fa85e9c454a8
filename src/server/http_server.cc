#include "server/http_server.h"

#include <array>
#include <boost/asio.hpp>

#include <unistd.h>

#include <chrono>
#include <map>
#include <optional>
#include <thread>

#include "core/log.h"
#include "core/mutex.h"
#include "core/rate_limited_log.h"
#include "core/thread_annotations.h"
#include "core/thread_name.h"
#include "server/accept_backoff.h"
#include "server/json_error.h"
#include "server/open_file_limit.h"
#include "server/request_stream.h"
#include "server/response_writer.h"

namespace telecollect::server {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr size_t kHeaderLimit = size_t{16} * 1024;
// Read sizes: a header and a one-frame push fit the first; bodies grow by the second.
constexpr size_t kHeaderRead = size_t{16} * 1024;
constexpr size_t kBodyRead = size_t{64} * 1024;
// After an answer that closes the connection, what the client still sends is
// read and dropped for this long (at most kLingerBytes) so that the close does
// not reset the connection before the client has read the answer.
constexpr auto kLinger = std::chrono::milliseconds(1000);
constexpr size_t kLingerBytes = size_t{256} * 1024;
// Connections refused past server.max_connections that are being answered at
// once; past it, a refused connection is closed without an answer.
constexpr int kMaxRefusing = 64;

// Adapts the callback-style handler to a coroutine: the reply may come from
// any thread; it is posted back to the session's executor.
// `in_handler` counts the handlers running synchronously on the thread.
template <typename Token>
auto AsyncHandle(HttpHandler& handler, RateLimitedLog& exceptions, std::atomic<int>& in_handler, HttpRequest request,
                 Token&& token) {
  return asio::async_initiate<Token, void(HttpResponse)>(
      // `req` is moved into the handler below; clang-tidy 14 reads the generic lambda as if it were not.
      [&handler, &exceptions, &in_handler](auto completion, HttpRequest req) {  // NOLINT(performance-unnecessary-value-param)
        using Completion = decltype(completion);
        // One allocation: the completion with the guard that keeps its
        // executor running. One shared_ptr fits std::function's own storage.
        struct Pending {
          explicit Pending(Completion c) : completion(std::move(c)), work(asio::get_associated_executor(completion)) {}
          Completion completion;
          asio::executor_work_guard<asio::associated_executor_t<Completion>> work;
        };
        auto pending = std::make_shared<Pending>(std::move(completion));
        auto reply = [pending](HttpResponse resp) {
          auto ex = asio::get_associated_executor(pending->completion);
          asio::post(ex, [pending, resp = std::move(resp)]() mutable { std::move(pending->completion)(std::move(resp)); });
        };
        in_handler.fetch_add(1, std::memory_order_relaxed);
        try {
          handler.Handle(std::move(req), reply);
        } catch (const std::exception& e) {
          exceptions.Report({{"where", "handler"}, {"what", e.what()}});
          reply(JsonError(500, "internal error"));
        }
        in_handler.fetch_sub(1, std::memory_order_relaxed);
      },
      token, std::move(request));
}

// Cancels a socket's operations when a deadline passes. One per session;
// every Arm replaces the previous deadline.
class Deadline {
 public:
  explicit Deadline(tcp::socket& socket) : socket_(socket), timer_(socket.get_executor()), state_(std::make_shared<State>()) {}

  void Arm(std::chrono::milliseconds after) {
    const uint64_t generation = ++state_->generation;
    state_->expired = false;
    timer_.expires_after(after);
    timer_.async_wait([state = state_, generation, socket = &socket_](const boost::system::error_code& ec) {
      // A cancelled wait, or a stale expiry of an earlier deadline: the
      // socket may be gone, nothing is touched.
      if (ec || generation != state->generation) return;
      state->expired = true;
      boost::system::error_code ignored;
      socket->cancel(ignored);
    });
  }
  void Disarm() {
    ++state_->generation;
    timer_.cancel();
  }
  bool expired() const { return state_->expired; }

 private:
  struct State {
    uint64_t generation = 0;
    bool expired = false;
  };
  tcp::socket& socket_;
  asio::steady_timer timer_;
  std::shared_ptr<State> state_;
};

bool IsOutOfDescriptors(const boost::system::error_code& ec) {
  return ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space || ec == asio::error::no_memory ||
         ec == boost::system::error_code(ENFILE, boost::system::system_category());
}

// Runs `ctx` until it is stopped; an exception escaping a handler is logged
// and running resumes (Asio allows it), instead of ending the process.
void RunContainingExceptions(asio::io_context& ctx, RateLimitedLog& exceptions) {
  while (true) {
    try {
      ctx.run();
      return;
    } catch (const std::exception& e) {
      exceptions.Report({{"where", "io_thread"}, {"what", e.what()}});
    } catch (...) {
      exceptions.Report({{"where", "io_thread"}, {"what", "unknown exception"}});
    }
  }
}

}  // namespace

class HttpServer::Impl {
 public:
  Impl(const ServerOptions& options, HttpHandler& handler, Metrics& metrics)
      : options_(options),
        handler_(handler),
        metrics_(metrics),
        accept_ctx_(1),
        acceptor_(accept_ctx_),
        signals_(accept_ctx_),
        drain_timer_(accept_ctx_),
        backoff_timer_(accept_ctx_) {
    const int threads = options.threads > 0 ? options.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    for (int i = 0; i < threads; ++i) io_.push_back(std::make_unique<IoThread>());
  }

  Status Bind() {
    const uint64_t open_files = RaiseOpenFileLimit();
    max_connections_ = options_.max_connections > 0 ? options_.max_connections : AutoMaxConnections(open_files);
    LogInfo("open_files_limit", {{"soft_limit", std::to_string(open_files)},
                                 {"max_connections", std::to_string(max_connections_)}});
    if (max_connections_ + 32 > open_files) {
      LogWarn("max_connections_above_open_files_limit",
              {{"max_connections", std::to_string(max_connections_)}, {"soft_limit", std::to_string(open_files)}});
    }
    const std::string& listen = options_.listen;
    const size_t colon = listen.rfind(':');
    if (colon == std::string::npos) return Status::InvalidArgument("server.listen \"" + listen + "\" must be host:port");
    std::string host = listen.substr(0, colon);
    const std::string port_text = listen.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host.empty() || host == "*") host = "0.0.0.0";
    if (host == "localhost") host = "127.0.0.1";
    int port = -1;
    try {
      size_t used = 0;
      port = std::stoi(port_text, &used);
      if (used != port_text.size()) port = -1;
    } catch (...) {
    }
    if (port < 0 || port > 65535) return Status::InvalidArgument("server.listen \"" + listen + "\": bad port");
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(host, ec);
    if (ec) return Status::InvalidArgument("server.listen \"" + listen + "\": host must be an IP address or localhost");
    const tcp::endpoint endpoint(address, static_cast<uint16_t>(port));
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Status::Unavailable("cannot listen on " + listen + ": " + ec.message());
    return Status::Ok();
  }

  int port() const { return acceptor_.local_endpoint().port(); }

  void Run(bool handle_signals) {
    asio::co_spawn(accept_ctx_, Accept(), [this](const std::exception_ptr& e) { ReportEscaped(e, "accept"); });
    if (handle_signals) {
      signals_.add(SIGINT);
      signals_.add(SIGTERM);
      signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
        if (ec) return;
        LogInfo("shutdown_requested", {{"signal", signo == SIGINT ? "SIGINT" : "SIGTERM"}});
        BeginShutdown();
      });
    }
    // One io_context per I/O thread: a connection lives on one thread, start
    // to end, so its handlers need no strand and the scheduler no lock
    // between I/O threads. The acceptor (with signals and the drain) has a
    // context and thread of its own, this one: no connection's work can hold
    // up accepting.
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
    for (auto& io : io_) guards.push_back(asio::make_work_guard(io->ctx));
    std::vector<std::thread> pool;
    for (auto& io : io_) {
      pool.emplace_back([this, ctx = &io->ctx] {
        NameThisThread("tc-http");
        RunContainingExceptions(*ctx, exception_log_);
      });
    }
    NameThisThread("tc-accept");
    RunContainingExceptions(accept_ctx_, exception_log_);
    for (auto& g : guards) g.reset();
    for (auto& io : io_) io->ctx.stop();
    for (auto& t : pool) t.join();
  }

  void Stop() {
    asio::post(accept_ctx_, [this] { BeginShutdown(); });
  }

 private:
  struct IoThread {
    asio::io_context ctx{1};
    std::atomic<int> in_handler{0};  // > 0 while a handler runs synchronously on this thread
  };

  struct SessionState {
    tcp::socket* socket = nullptr;
    bool idle = false;  // waiting for a request with nothing buffered; touched on the session's thread only
  };

  // Keeps the count and registry of open connections true however a session ends.
  class SessionScope {
   public:
    SessionScope(Impl& impl, std::shared_ptr<SessionState> state, asio::any_io_executor ex)
        : impl_(impl), state_(std::move(state)) {
      impl_.Register(state_, std::move(ex));
    }
    ~SessionScope() {
      impl_.Unregister(state_);
      impl_.live_connections_.fetch_sub(1, std::memory_order_relaxed);
    }
    SessionScope(const SessionScope&) = delete;
    SessionScope& operator=(const SessionScope&) = delete;

   private:
    Impl& impl_;
    std::shared_ptr<SessionState> state_;
  };

  void ReportEscaped(const std::exception_ptr& e, const char* where) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      exception_log_.Report({{"where", where}, {"what", ex.what()}});
    } catch (...) {
      exception_log_.Report({{"where", where}, {"what", "unknown exception"}});
    }
  }

  // The I/O thread for a new connection: round robin, skipping threads that
  // are inside a handler when another is free. A connection stays on its
  // thread: one whose thread enters a long handler waits for it (handlers
  // that can take long belong on the API's worker pool).
  IoThread& PickIoThread() {
    const size_t n = io_.size();
    const size_t start = next_io_++ % n;
    for (size_t i = 0; i < n; ++i) {
      IoThread& io = *io_[(start + i) % n];
      if (io.in_handler.load(std::memory_order_relaxed) == 0) return io;
    }
    return *io_[start];
  }

  asio::awaitable<void> Accept() {
    AcceptBackoff backoff;
    while (true) {
      auto [ec, socket] = co_await acceptor_.async_accept(kAwait);
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
        if (ec == asio::error::connection_aborted) continue;  // the client left before accept: nothing to pause for
        // Out of descriptors (or another failure that would repeat at once):
        // pause, or the loop would spin on the pending connection.
        const auto pause = backoff.Failed();
        (IsOutOfDescriptors(ec) ? accept_paused_log_ : accept_failed_log_)
            .Report({{"error", ec.message()}, {"pause_ms", std::to_string(pause.count())}});
        backoff_timer_.expires_after(pause);
        auto [tec] = co_await backoff_timer_.async_wait(kAwait);
        if (tec || !acceptor_.is_open()) co_return;
        continue;
      }
      backoff.Succeeded();
      if (live_connections_.load(std::memory_order_relaxed) >= max_connections_) {
        Refuse(std::move(socket));
        continue;
      }
      // The I/O thread is chosen now that the connection is here (not when
      // the accept began, by which time a thread may have entered a handler),
      // and the socket moves to its context.
      IoThread& io = PickIoThread();
      boost::system::error_code mec;
      const auto protocol = socket.local_endpoint(mec).protocol();
      if (mec) continue;  // the connection is already gone; closed with `socket`
      const auto native = socket.release(mec);
      if (mec) continue;
      tcp::socket moved(io.ctx);
      moved.assign(protocol, native, mec);
      if (mec) {
        ::close(native);
        continue;
      }
      live_connections_.fetch_add(1, std::memory_order_relaxed);
      moved.set_option(tcp::no_delay(true), mec);
      asio::co_spawn(io.ctx, Session(std::move(moved), io), [this](const std::exception_ptr& e) { ReportEscaped(e, "session"); });
    }
  }

  // A connection past server.max_connections: 503 with Retry-After, then
  // closed, on the acceptor's thread (a few small writes); at most
  // kMaxRefusing answered at once, the others closed at once.
  void Refuse(tcp::socket socket) {
    metrics_.http_requests.With({"other", "503"}).Inc();
    too_many_log_.Report({{"max_connections", std::to_string(max_connections_)}});
    if (refusing_.fetch_add(1, std::memory_order_relaxed) >= kMaxRefusing) {
      refusing_.fetch_sub(1, std::memory_order_relaxed);
      return;  // closed by the socket's destructor
    }
    asio::co_spawn(accept_ctx_, AnswerAndClose(std::move(socket)), [this](const std::exception_ptr& e) {
      refusing_.fetch_sub(1, std::memory_order_relaxed);
      ReportEscaped(e, "refuse");
    });
  }

  asio::awaitable<void> AnswerAndClose(tcp::socket socket) {
    HttpResponse busy = JsonError(503, "too many open connections (server.max_connections = " +
                                           std::to_string(max_connections_) + "); retry later");
    busy.headers.emplace_back("Retry-After", "1");
    std::string bytes;
    SerializeResponse(busy, 11, false, bytes);
    Deadline deadline(socket);
    deadline.Arm(kLinger);
    co_await asio::async_write(socket, asio::buffer(bytes), kAwait);
    co_await Linger(socket, deadline);
  }

  // Half-closes, then reads and drops what the client still sends (bounded),
  // so that the answer is not lost to a reset.
  asio::awaitable<void> Linger(tcp::socket& socket, Deadline& deadline) {
    boost::system::error_code ec;
    socket.shutdown(tcp::socket::shutdown_send, ec);
    if (ec) co_return;
    deadline.Arm(kLinger);
    char sink[4096];
    size_t dropped = 0;
    while (dropped < kLingerBytes) {
      auto [rec, n] = co_await socket.async_read_some(asio::buffer(sink), kAwait);
      if (rec) break;
      dropped += n;
    }
    deadline.Disarm();
  }

  asio::awaitable<bool> Write(tcp::socket& socket, Deadline& deadline, const std::string& bytes) {
    deadline.Arm(std::chrono::milliseconds(options_.body_timeout_ms));
    auto [ec, n] = co_await asio::async_write(socket, asio::buffer(bytes), kAwait);
    deadline.Disarm();
    co_return !ec;
  }

  asio::awaitable<bool> WriteResponse(tcp::socket& socket, Deadline& deadline, const HttpResponse& r, unsigned version,
                                      bool keep_alive, const std::string& route, Clock::time_point start) {
    metrics_.http_requests.With({route, std::to_string(r.status)}).Inc();
    std::string head;
    head.reserve(256);
    SerializeHead(r, version, keep_alive, head);
    deadline.Arm(std::chrono::milliseconds(options_.body_timeout_ms));
    const std::array<asio::const_buffer, 2> bytes{asio::buffer(head), asio::buffer(r.body)};
    auto [ec, n] = co_await asio::async_write(socket, bytes, kAwait);
    deadline.Disarm();
    const bool ok = !ec;
    metrics_.http_latency.With({route}).Observe(std::chrono::duration<double>(Clock::now() - start).count());
    co_return ok;
  }

  // A request refused at the protocol level: logged (one line per interval
  // and class), answered, and the connection closed.
  void ReportRefused(const ProtocolError& error, const RequestStream& in, const std::string& remote) {
    if (error.status == 500) {
      exception_log_.Report({{"where", "request_parser"}, {"what", in.exception_what()}, {"remote", remote}});
    } else if (error.status == 413 || error.status == 431) {
      too_large_log_.Report({{"status", std::to_string(error.status)}, {"error", error.message}, {"remote", remote}});
    } else {
      bad_framing_log_.Report({{"status", std::to_string(error.status)}, {"error", error.message}, {"remote", remote}});
    }
  }

  asio::awaitable<void> Session(tcp::socket socket, IoThread& io) {
    auto state = std::make_shared<SessionState>();
    state->socket = &socket;
    SessionScope scope(*this, state, socket.get_executor());
    std::string remote;
    {
      boost::system::error_code ec;
      auto ep = socket.remote_endpoint(ec);
      if (!ec) remote = ep.address().to_string();
    }
    Deadline deadline(socket);
    RequestStream in({kHeaderLimit, options_.max_body_bytes});
    bool first = true;
    bool linger = false;  // closing after a refusal: let the client read it
    while (true) {
      const RequestStream::Event event = in.Next();
      if (event == RequestStream::Event::kNeedMore) {
        const bool started = in.started();
        if (stopping_ && !started) break;
        const int64_t ms = in.header_done()              ? options_.body_timeout_ms
                           : (started || first)          ? options_.header_timeout_ms
                                                         : options_.idle_timeout_ms;
        state->idle = !started;
        const size_t want = in.header_done() ? kBodyRead : kHeaderRead;
        deadline.Arm(std::chrono::milliseconds(ms));
        auto [ec, n] = co_await socket.async_read_some(asio::buffer(in.Prepare(want), want), kAwait);
        deadline.Disarm();
        state->idle = false;
        if (ec) {
          if (deadline.expired() && started) {
            const bool body = in.header_done();
            timeout_log_.Report({{"phase", body ? "body" : "header"}, {"remote", remote}});
            const HttpResponse r = JsonError(408, body ? "request body not received within server.body_timeout"
                                                       : "request header not received within server.header_timeout");
            co_await WriteResponse(socket, deadline, r, 11, false, "other", Clock::now());
            linger = true;
          }
          break;  // end of stream, reset, idle timeout, or shutdown
        }
        in.Commit(n);
        continue;
      }
      if (event == RequestStream::Event::kContinue) {
        if (!co_await Write(socket, deadline, "HTTP/1.1 100 Continue\r\n\r\n")) break;
        continue;
      }
      if (event == RequestStream::Event::kError) {
        ReportRefused(in.error(), in, remote);
        co_await WriteResponse(socket, deadline, JsonError(in.error().status, in.error().message), in.version(), false,
                               "other", Clock::now());
        linger = true;
        break;
      }
      const auto start = Clock::now();
      HttpRequest request = in.TakeRequest();
      request.remote = remote;
      const bool keep_alive = in.keep_alive();
      const std::string route = handler_.RouteLabel(request);
      HttpResponse response =
          co_await AsyncHandle(handler_, exception_log_, io.in_handler, std::move(request), asio::use_awaitable);
      const bool open = keep_alive && !stopping_;
      if (!co_await WriteResponse(socket, deadline, response, in.version(), open, route, start) || !open) break;
      first = false;
    }
    if (linger) {
      co_await Linger(socket, deadline);
    } else {
      boost::system::error_code ignored;
      socket.shutdown(tcp::socket::shutdown_send, ignored);
    }
  }

  void Register(const std::shared_ptr<SessionState>& s, asio::any_io_executor ex) {
    MutexLock lock(sessions_mu_);
    sessions_.emplace(s, std::move(ex));
  }
  void Unregister(const std::shared_ptr<SessionState>& s) {
    MutexLock lock(sessions_mu_);
    sessions_.erase(s);
  }

  void BeginShutdown() {
    if (stopping_.exchange(true)) return;
    boost::system::error_code ec;
    acceptor_.close(ec);
    signals_.cancel(ec);
    backoff_timer_.cancel();
    {
      MutexLock lock(sessions_mu_);
      for (const auto& [s, ex] : sessions_) {
        asio::post(ex, [s = s] {
          boost::system::error_code ignored;
          if (s->idle && s->socket) s->socket->cancel(ignored);
        });
      }
    }
    deadline_ = Clock::now() + std::chrono::milliseconds(options_.shutdown_grace_ms);
    Drain();
  }

  void Drain() {
    size_t live;
    {
      MutexLock lock(sessions_mu_);
      live = sessions_.size();
    }
    if (live == 0 || Clock::now() >= deadline_) {
      if (live) LogWarn("shutdown_grace_expired", {{"open_connections", std::to_string(live)}});
      accept_ctx_.stop();
      return;
    }
    drain_timer_.expires_after(std::chrono::milliseconds(20));
    drain_timer_.async_wait([this](const boost::system::error_code&) { Drain(); });
  }

  // Constant after construction (max_connections_ after Bind).
  const ServerOptions options_;
  HttpHandler& handler_;
  Metrics& metrics_;
  uint64_t max_connections_ = 0;
  std::vector<std::unique_ptr<IoThread>> io_;

  // The acceptor's context and what runs on it (touched on its thread only).
  asio::io_context accept_ctx_;
  tcp::acceptor acceptor_;
  asio::signal_set signals_;
  asio::steady_timer drain_timer_;
  asio::steady_timer backoff_timer_;
  size_t next_io_ = 0;
  Clock::time_point deadline_;

  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> live_connections_{0};
  std::atomic<int> refusing_{0};  // refused connections being answered

  // One line per interval for each class of refused request or failure.
  RateLimitedLog bad_framing_log_{"http_bad_request"};         // 400, 501
  RateLimitedLog too_large_log_{"http_too_large"};             // 413, 431
  RateLimitedLog timeout_log_{"http_timeout"};                 // 408
  RateLimitedLog too_many_log_{"http_too_many_connections"};   // 503 past max_connections
  RateLimitedLog accept_paused_log_{"http_accept_paused"};     // EMFILE, ENFILE, ENOBUFS, ENOMEM
  RateLimitedLog accept_failed_log_{"http_accept_failed"};     // any other accept error
  RateLimitedLog exception_log_{"http_exception", 10'000, RateLimitedLog::Level::kError};

  Mutex sessions_mu_;
  std::map<std::shared_ptr<SessionState>, asio::any_io_executor> sessions_ TC_GUARDED_BY(sessions_mu_);
};

HttpServer::HttpServer(const ServerOptions& options, HttpHandler& handler, Metrics& metrics)
    : impl_(std::make_unique<Impl>(options, handler, metrics)) {}
HttpServer::~HttpServer() = default;
Status HttpServer::Bind() { return impl_->Bind(); }
int HttpServer::port() const { return impl_->port(); }
void HttpServer::Run(bool handle_signals) { impl_->Run(handle_signals); }
void HttpServer::Stop() { impl_->Stop(); }

}  // namespace telecollect::server
