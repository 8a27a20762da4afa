// One MQTT session over TLS (libmosquitto, MQTT 3.1.1, clean_session false
// and a fixed client id, so the broker keeps the session across reconnects),
// run on a thread of its own: connecting, reconnecting with a backoff that Stop
// interrupts, publishing what was handed to it, delivering what arrives.
// Publish and Stop may be called from any thread; the callbacks run on the
// link's thread and must be quick (they post to a loop or commit one row).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "daemon/core/status.h"

namespace lifeline {

struct MqttLinkOptions {
  std::string host = "127.0.0.1";
  int port = 8883;
  std::string client_id;
  std::string ca_file, cert_file, key_file;  // the broker's CA; this client's certificate and key
  std::chrono::seconds keepalive{60};
  std::chrono::seconds reconnect_max{60};   // the backoff doubles from 1 s up to this
  std::vector<std::string> subscriptions;  // QoS 1 each, made again on every connect
};

struct MqttCallbacks {
  std::function<void(bool connected, const std::string& why)> on_state;
  std::function<void(int64_t tag)> on_acked;  // a QoS 1 publish's PUBACK, by the caller's tag
  std::function<void(const std::string& topic, const std::string& payload)> on_message;
  std::function<void()> on_subscribed;  // the broker granted the subscriptions (SUBACK)
};

class MqttLink {
 public:
  // Checks the options and the TLS files and starts the thread; the broker
  // itself is not needed yet.
  static Result<std::unique_ptr<MqttLink>> Start(MqttLinkOptions options, MqttCallbacks callbacks);
  ~MqttLink();  // Stop
  // Queued for the link's thread; sent once connected (libmosquitto keeps a
  // QoS 1 message across reconnects until its PUBACK). `tag` < 0: no on_acked.
  void Publish(std::string topic, std::string payload, int qos, int64_t tag);
  void Stop();

  struct Impl;

 private:
  explicit MqttLink(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lifeline
