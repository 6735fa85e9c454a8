#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/mutex.h"
#include "core/status.h"
#include "mqtt/mqtt_connector.h"

struct mosquitto;
struct mosquitto_message;

namespace telecollect::mqtt {

// One message as the broker delivered it.
struct Message {
  std::string topic;
  std::string payload;
  bool retained = false;
};

// Said exactly once per message, from any thread: true once its frames are
// committed (or it is refused for good and may be dropped), false if it was not
// stored and must come again.
using Committed = std::function<void(bool stored)>;
using MessageHandler = std::function<void(Message message, Committed committed)>;

// One connection to a broker through libmosquitto 2.0, driven by the caller's
// thread (Connect, then Turn in a loop). Not thread-safe: one thread per session.
//
// Acknowledgement after commit. libmosquitto 2.0 (Debian 12) has no manual
// acknowledgement: it queues the PUBACK of a QoS 1 message before handing the
// message over. The session therefore drives the socket itself (threaded mode
// "external", so that queued packets are only written by mosquitto_loop_write)
// and writes nothing until every message read so far is committed. A process
// killed in between leaves the PUBACKs unsent: the broker delivers those
// messages again to the same client id, and the store recognises them as
// duplicates. A message that could not be stored ends the session without
// writing: its PUBACK is dropped with the connection.
class MqttSession {
 public:
  // Connects (TCP, TLS, CONNECT with clean_session = false and the fixed
  // client id) and subscribes at QoS 1 to every subscription, waiting at most
  // `timeout_ms` for CONNACK and SUBACK. kUnauthenticated on a refused login,
  // kUnavailable on network trouble, kInvalidArgument on a refused topic.
  static Result<std::unique_ptr<MqttSession>> Open(const MqttConnector& connector, MessageHandler handler,
                                                   int timeout_ms);
  ~MqttSession();
  MqttSession(const MqttSession&) = delete;
  MqttSession& operator=(const MqttSession&) = delete;

  // Waits up to `wait_ms` for traffic, reads what came (handing each message
  // to the handler), waits for every handed message to be committed, then
  // writes what is queued (PUBACKs, PINGREQ) and keeps the connection alive.
  // kUnavailable when the connection is lost or a message was not stored:
  // the caller then destroys the session and reconnects.
  Status Turn(int wait_ms);

  // Sends DISCONNECT (nothing is pending after a Turn) and closes.
  void Close();

  // QoS the broker granted per subscription (0x80: refused). The Things Stack grants 0 only.
  const std::vector<int>& granted_qos() const { return granted_; }
  bool session_present() const { return session_present_; }

 private:
  struct Pending;
  MqttSession(const MqttConnector& connector, MessageHandler handler);
  Status Start(int timeout_ms);
  Status WaitCommitted();
  Status Failure(int rc, const char* what) const;

  static void OnConnect(struct mosquitto*, void* self, int rc, int flags);
  static void OnSubscribe(struct mosquitto*, void* self, int mid, int count, const int* granted);
  static void OnMessage(struct mosquitto*, void* self, const struct mosquitto_message* m);
  static void OnDisconnect(struct mosquitto*, void* self, int rc);

  const MqttConnector& connector_;
  MessageHandler handler_;
  struct mosquitto* mosq_ = nullptr;
  std::shared_ptr<Pending> pending_;
  // Set by the callbacks, on this thread (inside mosquitto_loop_read).
  int connack_ = -1;
  bool session_present_ = false;
  int subscribe_mid_ = -1;
  bool subscribed_ = false;
  std::vector<int> granted_;
  bool disconnected_ = false;
};

}  // namespace telecollect::mqtt
