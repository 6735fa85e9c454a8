// durable_ceiling: the least work an HTTP server can do to acknowledge a request durably on
// this machine, built on the same Boost.Beast/Asio stack as telecollect. Each POST body is
// appended to a log file and answered 200 once an fdatasync covers it; requests that arrive
// during one fdatasync share the next (group commit). No parsing, no decoding, no database.
//
// The log is written with zeros and synced before serving, then overwritten in a ring, so an
// fdatasync never has a file size to commit: the cheapest fsync the filesystem offers (what a
// write-ahead log that recycles its segments gets). bench/push.sh runs it beside nginx
// (no durability) and InfluxDB as the ceiling of case (a) under the durability rule.
//
// usage: durable_ceiling PORT LOG_FILE [LOG_MIB=128] [THREADS=cores]
#include <fcntl.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "durable_ceiling: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

// A ring of `size` bytes on disk. Append() queues bytes and a completion; one syncer thread
// writes everything queued, fdatasyncs once, then runs the completions.
class GroupLog {
 public:
  GroupLog(const std::string& path, size_t size) : size_(size) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) Die("open " + path);
    const std::string zeros(1 << 20, '\0');
    for (size_t off = 0; off < size_; off += zeros.size()) {
      if (::pwrite(fd_, zeros.data(), zeros.size(), static_cast<off_t>(off)) != static_cast<ssize_t>(zeros.size())) {
        Die("prefill " + path);
      }
    }
    if (::fsync(fd_) != 0) Die("fsync " + path);
    syncer_ = std::thread([this] { Run(); });
  }
  ~GroupLog() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_one();
    syncer_.join();
    ::close(fd_);
  }

  void Append(std::string_view bytes, std::function<void()> done) {
    {
      std::lock_guard lock(mu_);
      queued_.append(bytes);
      waiting_.push_back(std::move(done));
    }
    cv_.notify_one();
  }

 private:
  void Run() {
    std::string bytes;
    std::vector<std::function<void()>> done;
    while (true) {
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stopping_ || !waiting_.empty(); });
        if (waiting_.empty()) return;
        bytes.swap(queued_);
        done.swap(waiting_);
      }
      Write(bytes);
      if (::fdatasync(fd_) != 0) Die("fdatasync");
      for (auto& d : done) d();
      bytes.clear();
      done.clear();
    }
  }

  void Write(std::string_view bytes) {
    while (!bytes.empty()) {
      if (offset_ == size_) offset_ = 0;
      const size_t n = std::min(bytes.size(), size_ - offset_);
      if (::pwrite(fd_, bytes.data(), n, static_cast<off_t>(offset_)) != static_cast<ssize_t>(n)) Die("pwrite");
      offset_ += n;
      bytes.remove_prefix(n);
    }
  }

  const size_t size_;
  int fd_ = -1;
  size_t offset_ = 0;  // syncer thread only
  std::mutex mu_;
  std::condition_variable cv_;
  std::string queued_;                          // guarded by mu_
  std::vector<std::function<void()>> waiting_;  // guarded by mu_
  bool stopping_ = false;                       // guarded by mu_
  std::thread syncer_;
};

// One keep-alive connection on its own strand: read a request, log its body, answer once synced.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, GroupLog& log) : stream_(std::move(socket)), log_(log) {}

  void Read() {
    parser_.emplace();
    parser_->body_limit(64 << 20);
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->Close();
      self->OnRequest();
    });
  }

 private:
  void OnRequest() {
    const auto& req = parser_->get();
    if (req.method() != http::verb::post) return Answer(http::status::method_not_allowed);
    log_.Append(req.body(), [self = shared_from_this()] {
      asio::post(self->stream_.get_executor(), [self] { self->Answer(http::status::ok); });
    });
  }

  void Answer(http::status status) {
    response_ = {};
    response_.result(status);
    response_.version(11);
    response_.keep_alive(parser_->get().keep_alive());
    response_.set(http::field::content_type, "application/json");
    response_.body() = status == http::status::ok ? R"({"accepted":1})" : R"({"error":"POST only"})";
    response_.prepare_payload();
    http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec || !self->response_.keep_alive()) return self->Close();
      self->Read();
    });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  GroupLog& log_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
};

void Accept(tcp::acceptor& acceptor, asio::io_context& ioc, GroupLog& log) {
  acceptor.async_accept(asio::make_strand(ioc), [&](beast::error_code ec, tcp::socket socket) {
    if (!ec) {
      socket.set_option(tcp::no_delay(true));
      std::make_shared<Session>(std::move(socket), log)->Read();
    }
    Accept(acceptor, ioc, log);
  });
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: durable_ceiling PORT LOG_FILE [LOG_MIB=128] [THREADS=cores]\n");
    return 2;
  }
  const auto port = static_cast<unsigned short>(std::atoi(argv[1]));
  const size_t log_mib = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 128;
  const unsigned threads = argc > 4 ? std::atoi(argv[4]) : std::max(1u, std::thread::hardware_concurrency());
  // The context outlives the log: the log's last completions post to it.
  asio::io_context ioc(static_cast<int>(threads));
  GroupLog log(argv[2], std::max<size_t>(1, log_mib) << 20);
  tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), port});
  Accept(acceptor, ioc, log);
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](beast::error_code, int) { ioc.stop(); });

  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
  return 0;
}
