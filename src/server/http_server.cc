#include "server/http_server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "core/ascii.h"
#include "core/log.h"
#include "core/thread_name.h"
#include "push/push_service.h"
#include "server/response_writer.h"

namespace telecollect::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

// Adapts the callback-style handler to a coroutine: the reply may come from
// any thread; it is posted back to the session's executor.
template <typename Token>
auto AsyncHandle(HttpHandler& handler, HttpRequest request, Token&& token) {
  return asio::async_initiate<Token, void(HttpResponse)>(
      [&handler](auto completion, HttpRequest req) {
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
        try {
          handler.Handle(std::move(req), std::move(reply));
        } catch (const std::exception& e) {
          LogError("handler_exception", {{"what", e.what()}});
          reply({500, "application/json", push::ErrorJson("internal error"), {}});
        }
      },
      token, std::move(request));
}

HttpResponse ErrorResponse(int status, std::string_view message) {
  return {status, "application/json", push::ErrorJson(message), {}};
}

// 413, naming the declared size when the request gave one (Content-Length).
HttpResponse TooLarge(std::optional<uint64_t> declared, size_t limit) {
  std::string what = declared ? "body of " + std::to_string(*declared) + " bytes" : std::string("body");
  return ErrorResponse(413, what + " exceeds server.max_body_bytes (" + std::to_string(limit) + "); split the batch");
}

}  // namespace

class HttpServer::Impl {
 public:
  Impl(const ServerOptions& options, HttpHandler& handler, Metrics& metrics)
      : options_(options),
        handler_(handler),
        metrics_(metrics),
        threads_(options.threads > 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency())),
        ioc_(1),
        acceptor_(ioc_),
        signals_(ioc_),
        drain_timer_(ioc_) {
    for (int i = 1; i < threads_; ++i) workers_.push_back(std::make_unique<asio::io_context>(1));
  }

  Status Bind() {
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
    asio::co_spawn(ioc_, Accept(), asio::detached);
    if (handle_signals) {
      signals_.add(SIGINT);
      signals_.add(SIGTERM);
      signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
        if (ec) return;
        LogInfo("shutdown_requested", {{"signal", signo == SIGINT ? "SIGINT" : "SIGTERM"}});
        BeginShutdown();
      });
    }
    // One io_context per thread: a connection lives on one thread, start to
    // end, so its handlers need no strand and the scheduler no lock between
    // I/O threads. The first context also runs the acceptor and signals.
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
    for (auto& c : workers_) guards.push_back(asio::make_work_guard(*c));
    std::vector<std::thread> pool;
    for (auto& c : workers_) {
      pool.emplace_back([ctx = c.get()] {
        NameThisThread("tc-http");
        ctx->run();
      });
    }
    NameThisThread("tc-http");  // this thread runs the first context
    ioc_.run();
    for (auto& g : guards) g.reset();
    for (auto& c : workers_) c->stop();
    for (auto& t : pool) t.join();
  }

  void Stop() {
    asio::post(ioc_, [this] { BeginShutdown(); });
  }

 private:
  struct SessionState {
    beast::tcp_stream* stream = nullptr;
    bool idle = false;  // waiting for a request with nothing buffered; touched on the session's thread only
  };

  asio::awaitable<void> Accept() {
    while (true) {
      // Round robin over the I/O threads (the acceptor's own included).
      const size_t pick = next_context_++ % (workers_.size() + 1);
      asio::io_context& ctx = pick == 0 ? ioc_ : *workers_[pick - 1];
      auto [ec, socket] = co_await acceptor_.async_accept(ctx, kAwait);
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
        LogWarn("accept_failed", {{"error", ec.message()}});
        continue;
      }
      socket.set_option(tcp::no_delay(true), ec);
      auto ex = socket.get_executor();
      asio::co_spawn(ex, Session(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> WriteResponse(beast::tcp_stream& stream, HttpResponse r, unsigned version, bool keep_alive,
                                      const std::string& route, std::chrono::steady_clock::time_point start,
                                      boost::system::error_code& ec) {
    metrics_.http_requests.With({route, std::to_string(r.status)}).Inc();
    std::string bytes;
    bytes.reserve(160 + r.body.size());
    SerializeResponse(r, version, keep_alive, bytes);
    stream.expires_after(std::chrono::milliseconds(options_.body_timeout_ms));
    auto [wec, n] = co_await asio::async_write(stream, asio::buffer(bytes), kAwait);
    ec = wec;
    metrics_.http_latency.With({route}).Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }

  asio::awaitable<void> Session(tcp::socket socket) {
    auto state = std::make_shared<SessionState>();
    std::string remote;
    {
      boost::system::error_code ec;
      auto ep = socket.remote_endpoint(ec);
      if (!ec) remote = ep.address().to_string();
    }
    beast::tcp_stream stream(std::move(socket));
    state->stream = &stream;
    auto strand = co_await asio::this_coro::executor;
    Register(state, strand);
    beast::flat_buffer buffer;
    asio::steady_timer body_timer(strand);  // outlives every wait it starts: declared with the session
    uint64_t body_reads = 0;
    bool body_timed_out = false;
    bool first = true;
    while (true) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(16 * 1024);
      parser.body_limit(options_.max_body_bytes);
      state->idle = buffer.size() == 0;
      if (stopping_ && state->idle) break;
      stream.expires_after(std::chrono::milliseconds(first || !state->idle ? options_.header_timeout_ms
                                                                            : options_.idle_timeout_ms));
      auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, kAwait);
      state->idle = false;
      const auto start = std::chrono::steady_clock::now();
      if (ec) {
        if (ec == http::error::body_limit) {  // Content-Length above the limit: answered before the body
          boost::system::error_code wec;
          const auto declared = parser.content_length();
          co_await WriteResponse(stream,
                                 TooLarge(declared ? std::optional<uint64_t>(*declared) : std::nullopt,
                                          options_.max_body_bytes),
                                 parser.is_header_done() ? parser.get().version() : 11, false, "other", start, wec);
        } else if (ec == http::error::header_limit) {
          boost::system::error_code wec;
          co_await WriteResponse(stream, ErrorResponse(431, "request headers larger than 16 KiB"), 11, false, "other",
                                 start, wec);
        } else if (ec != http::error::end_of_stream && ec != beast::error::timeout &&
                   ec != asio::error::operation_aborted && ec != asio::error::connection_reset) {
          boost::system::error_code wec;
          co_await WriteResponse(stream, ErrorResponse(400, "malformed HTTP request: " + ec.message()), 11, false,
                                 "other", start, wec);
        }
        break;
      }
      const unsigned version = parser.get().version();
      if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
        http::response<http::empty_body> cont{http::status::continue_, version};
        auto [cec, cn] = co_await http::async_write(stream, cont, kAwait);
        if (cec) break;
      }
      boost::system::error_code bec;
      if (!parser.is_done() && !parser.chunked() && parser.content_length() &&
          buffer.size() >= *parser.content_length()) {
        // The whole body came with the header (the usual push): parsed from
        // the buffer, without a read operation that would complete at once.
        buffer.consume(parser.put(buffer.data(), bec));
      }
      if (!bec && !parser.is_done()) {
        // The body's deadline is the session's timer, not the stream's: a
        // stream timeout closes the socket, and a slow body is answered 408 first.
        stream.expires_never();
        const uint64_t generation = ++body_reads;
        body_timed_out = false;
        body_timer.expires_after(std::chrono::milliseconds(options_.body_timeout_ms));
        body_timer.async_wait([&, generation](const boost::system::error_code& tec) {
          if (tec || generation != body_reads) return;  // cancelled, or a stale expiry of an earlier body
          body_timed_out = true;
          boost::system::error_code ignored;
          stream.socket().cancel(ignored);
        });
        auto [rec, rn] = co_await http::async_read(stream, buffer, parser, kAwait);
        body_timer.cancel();
        bec = rec;
      }
      if (bec == http::error::body_limit) {  // a chunked body grew past the limit
        boost::system::error_code wec;
        co_await WriteResponse(stream, TooLarge(std::nullopt, options_.max_body_bytes), version, false, "other", start,
                               wec);
        break;
      }
      if (bec) {
        if (body_timed_out) {
          boost::system::error_code wec;
          co_await WriteResponse(stream, ErrorResponse(408, "request body not received within server.body_timeout"),
                                 version, false, "other", start, wec);
        }
        break;
      }
      auto req = parser.release();
      const bool keep_alive = req.keep_alive();
      HttpRequest request;
      request.method = std::string(req.method_string());
      request.target = std::string(req.target());
      request.remote = remote;
      request.headers.reserve(static_cast<size_t>(std::distance(req.begin(), req.end())));
      for (const auto& field : req) {
        std::string name(field.name_string());
        AsciiLowerInPlace(name);
        request.headers.emplace_back(std::move(name), std::string(field.value()));
      }
      request.body = std::move(req.body());
      const std::string route = handler_.RouteLabel(request);
      HttpResponse response = co_await AsyncHandle(handler_, std::move(request), asio::use_awaitable);
      boost::system::error_code wec;
      co_await WriteResponse(stream, std::move(response), version, keep_alive && !stopping_, route, start, wec);
      if (wec || !keep_alive || stopping_) break;
      first = false;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    Unregister(state);
  }

  void Register(const std::shared_ptr<SessionState>& s, asio::any_io_executor strand) {
    std::lock_guard lock(sessions_mu_);
    sessions_.emplace(s, strand);
  }
  void Unregister(const std::shared_ptr<SessionState>& s) {
    std::lock_guard lock(sessions_mu_);
    sessions_.erase(s);
  }

  void BeginShutdown() {
    if (stopping_.exchange(true)) return;
    boost::system::error_code ec;
    acceptor_.close(ec);
    signals_.cancel(ec);
    {
      std::lock_guard lock(sessions_mu_);
      for (const auto& [s, strand] : sessions_) {
        asio::post(strand, [s = s] {
          if (s->idle && s->stream) s->stream->cancel();
        });
      }
    }
    deadline_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.shutdown_grace_ms);
    Drain();
  }

  void Drain() {
    size_t live;
    {
      std::lock_guard lock(sessions_mu_);
      live = sessions_.size();
    }
    if (live == 0 || std::chrono::steady_clock::now() >= deadline_) {
      if (live) LogWarn("shutdown_grace_expired", {{"open_connections", std::to_string(live)}});
      ioc_.stop();
      return;
    }
    drain_timer_.expires_after(std::chrono::milliseconds(20));
    drain_timer_.async_wait([this](const boost::system::error_code&) { Drain(); });
  }

  const ServerOptions options_;
  HttpHandler& handler_;
  Metrics& metrics_;
  const int threads_;
  asio::io_context ioc_;
  std::vector<std::unique_ptr<asio::io_context>> workers_;  // the other I/O threads' contexts
  size_t next_context_ = 0;
  tcp::acceptor acceptor_;
  asio::signal_set signals_;
  asio::steady_timer drain_timer_;
  std::atomic<bool> stopping_{false};
  std::chrono::steady_clock::time_point deadline_;

  std::mutex sessions_mu_;
  std::map<std::shared_ptr<SessionState>, asio::any_io_executor> sessions_;  // guarded by sessions_mu_
};

HttpServer::HttpServer(const ServerOptions& options, HttpHandler& handler, Metrics& metrics)
    : impl_(std::make_unique<Impl>(options, handler, metrics)) {}
HttpServer::~HttpServer() = default;
Status HttpServer::Bind() { return impl_->Bind(); }
int HttpServer::port() const { return impl_->port(); }
void HttpServer::Run(bool handle_signals) { impl_->Run(handle_signals); }
void HttpServer::Stop() { impl_->Stop(); }

}  // namespace telecollect::server
