#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "core/config.h"
#include "core/metrics.h"
#include "core/status.h"
#include "server/http_types.h"

namespace telecollect::server {

// HTTP/1.1 server on Boost.Beast: keep-alive, a body size limit (413 before
// the body is read when Content-Length says so), header/body/idle timeouts,
// N threads on one io_context, and a graceful stop: stop accepting, close idle
// connections, let in-flight requests finish and answer, then return.
class HttpServer {
 public:
  HttpServer(const ServerOptions& options, HttpHandler& handler, Metrics& metrics);
  ~HttpServer();

  // Binds `options.listen` ("host:port"; port 0 picks one). Errors name the address.
  Status Bind();
  // The bound port (after Bind).
  int port() const;
  // Serves until Stop() (or SIGINT/SIGTERM if `handle_signals`), then drains
  // in-flight requests for up to options.shutdown_grace_ms.
  void Run(bool handle_signals);
  // Thread-safe; may be called from a signal handler context via asio.
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace telecollect::server
