#include "mqtt/mqtt_session.h"

#include <mosquitto.h>
#include <poll.h>

#include <cerrno>
#include <chrono>
#include <mutex>

namespace telecollect::mqtt {

// Messages handed to the handler and not yet said committed. Shared with the
// Committed callbacks, which may run on the committer's thread.
struct MqttSession::Pending {
  Mutex mu;
  CondVar cv;
  int outstanding TC_GUARDED_BY(mu) = 0;
  bool failed TC_GUARDED_BY(mu) = false;
};

namespace {

void InitLibrary() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

// Packets read before one commit barrier at most.
constexpr int kMaxReadsPerTurn = 1000;

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

MqttSession::MqttSession(const MqttConnector& connector, MessageHandler handler)
    : connector_(connector), handler_(std::move(handler)), pending_(std::make_shared<Pending>()) {}

MqttSession::~MqttSession() {
  // Whatever is still queued (PUBACKs of messages not committed) dies with the
  // handle: mosquitto_destroy closes the socket without writing it.
  if (mosq_ != nullptr) {
    (void)WaitCommitted();
    mosquitto_destroy(mosq_);
  }
}

Status MqttSession::Failure(int rc, const char* what) const {
  std::string why = rc == MOSQ_ERR_ERRNO ? std::string("system error") : std::string(mosquitto_strerror(rc));
  if (rc == MOSQ_ERR_TLS || rc == MOSQ_ERR_TLS_HANDSHAKE) why += " (check broker.ca_file and the broker's certificate)";
  return Status::Unavailable(std::string(what) + " " + connector_.BrokerUrl() + ": " + why);
}

Result<std::unique_ptr<MqttSession>> MqttSession::Open(const MqttConnector& connector, MessageHandler handler,
                                                       int timeout_ms) {
  InitLibrary();
  std::unique_ptr<MqttSession> s(new MqttSession(connector, std::move(handler)));
  TC_RETURN_IF_ERROR(s->Start(timeout_ms));
  return s;
}

Status MqttSession::Start(int timeout_ms) {
  const MqttConnector& c = connector_;
  mosq_ = mosquitto_new(c.client_id.c_str(), /*clean_session=*/false, this);
  if (mosq_ == nullptr) return Status::Internal("mosquitto_new failed");
  // "External" threading: a queued packet (a PUBACK above all) is written only
  // by mosquitto_loop_write, which Turn calls after the commit barrier.
  mosquitto_threaded_set(mosq_, true);
  mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_connect_with_flags_callback_set(mosq_, &MqttSession::OnConnect);
  mosquitto_subscribe_callback_set(mosq_, &MqttSession::OnSubscribe);
  mosquitto_message_callback_set(mosq_, &MqttSession::OnMessage);
  mosquitto_disconnect_callback_set(mosq_, &MqttSession::OnDisconnect);
  if (!c.username.empty()) {
    int rc = mosquitto_username_pw_set(mosq_, c.username.c_str(), c.password.empty() ? nullptr : c.password.c_str());
    if (rc != MOSQ_ERR_SUCCESS) return Failure(rc, "credentials for");
  }
  if (c.tls) {
    if (c.ca_file.empty()) mosquitto_int_option(mosq_, MOSQ_OPT_TLS_USE_OS_CERTS, 1);
    int rc = mosquitto_tls_set(mosq_, c.ca_file.empty() ? nullptr : c.ca_file.c_str(), nullptr,
                               c.client_cert.empty() ? nullptr : c.client_cert.c_str(),
                               c.client_key.empty() ? nullptr : c.client_key.c_str(), nullptr);
    if (rc != MOSQ_ERR_SUCCESS) return Failure(rc, "TLS files (broker.ca_file, client_cert, client_key) for");
  }
  int rc = mosquitto_connect(mosq_, c.host.c_str(), c.port, c.keepalive_s);
  if (rc != MOSQ_ERR_SUCCESS) return Failure(rc, "cannot connect to");

  const int64_t deadline = SteadyMs() + timeout_ms;
  while (connack_ < 0) {
    if (SteadyMs() >= deadline) return Status::Unavailable("no CONNACK from " + c.BrokerUrl() + " in time");
    Status turned = Turn(100);
    if (connack_ > 0) break;  // a refusal: the library closes the connection, its reason is said below
    TC_RETURN_IF_ERROR(turned);
  }
  if (connack_ != 0) {
    const std::string why = mosquitto_connack_string(connack_);
    if (connack_ == 4 || connack_ == 5)
      return Status::Unauthenticated(c.BrokerUrl() + " refused the login of " + c.username + ": " + why);
    return Status::Unavailable(c.BrokerUrl() + " refused the connection: " + why);
  }
  std::vector<char*> topics;
  for (const Subscription& sub : c.subscriptions) topics.push_back(const_cast<char*>(sub.topic.c_str()));
  rc = mosquitto_subscribe_multiple(mosq_, &subscribe_mid_, static_cast<int>(topics.size()), topics.data(), 1, 0, nullptr);
  if (rc != MOSQ_ERR_SUCCESS) return Failure(rc, "cannot subscribe on");
  while (!subscribed_) {
    if (SteadyMs() >= deadline) return Status::Unavailable("no SUBACK from " + c.BrokerUrl() + " in time");
    TC_RETURN_IF_ERROR(Turn(100));
  }
  for (size_t i = 0; i < granted_.size() && i < c.subscriptions.size(); ++i) {
    if (granted_[i] == 0x80)
      return Status::InvalidArgument(c.BrokerUrl() + " refused the subscription to " + c.subscriptions[i].topic +
                                     " (not allowed for " + (c.username.empty() ? "anonymous" : c.username) + "?)");
  }
  return Status::Ok();
}

// A persistent session gets its queued messages right after CONNACK, even
// before SUBSCRIBE: the barrier holds from the first read.
Status MqttSession::Turn(int wait_ms) {
  pollfd p{mosquitto_socket(mosq_), POLLIN, 0};
  if (p.fd < 0) return Status::Unavailable("connection to " + connector_.BrokerUrl() + " closed");
  if (mosquitto_want_write(mosq_)) p.events |= POLLOUT;
  if (::poll(&p, 1, wait_ms) < 0 && errno != EINTR) return Status::Unavailable("poll failed");
  if (p.revents & (POLLIN | POLLERR | POLLHUP)) {
    // libmosquitto reads one packet per call: read on while bytes are waiting,
    // so that what the broker sent (up to its in-flight window) shares one commit.
    int rc = mosquitto_loop_read(mosq_, 1);
    for (int reads = 1; rc == MOSQ_ERR_SUCCESS && reads < kMaxReadsPerTurn; ++reads) {
      pollfd more{mosquitto_socket(mosq_), POLLIN, 0};
      if (more.fd < 0 || ::poll(&more, 1, 0) <= 0 || !(more.revents & POLLIN)) break;
      rc = mosquitto_loop_read(mosq_, 1);
    }
    if (rc != MOSQ_ERR_SUCCESS) {
      (void)WaitCommitted();  // the handed messages' callbacks, before the session can go
      return Failure(rc, "connection lost with");
    }
  }
  // The commit barrier: the PUBACKs of what was just read are among the bytes
  // queued, so nothing is written before every message read is committed.
  TC_RETURN_IF_ERROR(WaitCommitted());
  if (mosquitto_want_write(mosq_)) {
    int rc = mosquitto_loop_write(mosq_, 1);
    if (rc != MOSQ_ERR_SUCCESS) return Failure(rc, "connection lost with");
  }
  int rc = mosquitto_loop_misc(mosq_);
  if (rc != MOSQ_ERR_SUCCESS) return Failure(rc, "keepalive failed with");
  if (disconnected_) return Status::Unavailable("disconnected by " + connector_.BrokerUrl());
  return Status::Ok();
}

Status MqttSession::WaitCommitted() {
  Pending& p = *pending_;
  MutexLock lock(p.mu);
  p.cv.Wait(lock, [&]() TC_REQUIRES(p.mu) { return p.outstanding == 0; });
  if (p.failed) return Status::Unavailable("a message could not be stored: it stays with the broker, which delivers it again");
  return Status::Ok();
}

void MqttSession::Close() {
  if (mosq_ == nullptr) return;
  if (WaitCommitted().ok()) {
    mosquitto_disconnect(mosq_);
    for (int i = 0; i < 10 && mosquitto_want_write(mosq_); ++i) {
      pollfd p{mosquitto_socket(mosq_), POLLOUT, 0};
      if (p.fd < 0 || ::poll(&p, 1, 100) <= 0) break;
      if (mosquitto_loop_write(mosq_, 1) != MOSQ_ERR_SUCCESS) break;
    }
  }
  mosquitto_destroy(mosq_);
  mosq_ = nullptr;
}

void MqttSession::OnConnect(struct mosquitto*, void* self, int rc, int flags) {
  auto* s = static_cast<MqttSession*>(self);
  s->connack_ = rc;
  s->session_present_ = (flags & 1) != 0;
}

void MqttSession::OnSubscribe(struct mosquitto*, void* self, int mid, int count, const int* granted) {
  auto* s = static_cast<MqttSession*>(self);
  if (mid != s->subscribe_mid_) return;
  s->granted_.assign(granted, granted + count);
  s->subscribed_ = true;
}

void MqttSession::OnDisconnect(struct mosquitto*, void* self, int) { static_cast<MqttSession*>(self)->disconnected_ = true; }

void MqttSession::OnMessage(struct mosquitto*, void* self, const struct mosquitto_message* m) {
  auto* s = static_cast<MqttSession*>(self);
  Message msg;
  msg.topic = m->topic != nullptr ? m->topic : "";
  if (m->payload != nullptr && m->payloadlen > 0) msg.payload.assign(static_cast<const char*>(m->payload), m->payloadlen);
  msg.retained = m->retain;
  std::shared_ptr<Pending> pending = s->pending_;
  {
    MutexLock lock(pending->mu);
    ++pending->outstanding;
  }
  s->handler_(std::move(msg), [pending](bool stored) {
    MutexLock lock(pending->mu);
    if (!stored) pending->failed = true;
    --pending->outstanding;
    pending->cv.NotifyAll();
  });
}

}  // namespace telecollect::mqtt
