// MqttLink: libmosquitto driven by hand (mosquitto_loop on our own thread
// rather than mosquitto_loop_start), so that a stop is never held up by a
// reconnect delay and every libmosquitto call but the first setup happens on
// one thread.
#include "daemon/fleet/mqtt_link.h"

#include <mosquitto.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

namespace lifeline {

// Named rather than file-local: MqttLink::Impl queues them.
namespace mqtt_internal {
struct Outgoing {
  std::string topic, payload;
  int qos;
  int64_t tag;
};
}  // namespace mqtt_internal
using mqtt_internal::Outgoing;

namespace {

void InitLibraryOnce() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

}  // namespace

struct MqttLink::Impl {
  MqttLinkOptions options;
  MqttCallbacks callbacks;
  mosquitto* mosq = nullptr;
  std::thread thread;
  std::mutex mu;  // guards queue and stopping, shared by callers of Publish/Stop and the link's thread
  std::condition_variable cv;
  std::deque<Outgoing> queue;
  bool stopping = false;
  // The link's thread only:
  bool connected = false;
  bool ever_connected = false;
  std::map<int, int64_t> tags;  // mid -> the caller's tag, until its PUBACK
  std::string last_error;

  ~Impl() {
    if (mosq) mosquitto_destroy(mosq);
  }
  void Loop();
  bool Connect();
  void Drain();
  void Lost(const std::string& why);
  void Backoff(std::chrono::seconds* delay);
};

namespace {

MqttLink::Impl* ImplOf(void* p) { return static_cast<MqttLink::Impl*>(p); }

void OnConnect(mosquitto* mosq, void* obj, int rc) {
  MqttLink::Impl* impl = ImplOf(obj);
  if (rc != 0) {
    impl->last_error = std::string("the broker refused the connection: ") + mosquitto_connack_string(rc);
    return;
  }
  impl->connected = true;
  impl->last_error.clear();
  for (const std::string& topic : impl->options.subscriptions) {
    int rc_sub = mosquitto_subscribe(mosq, nullptr, topic.c_str(), 1);
    if (rc_sub != MOSQ_ERR_SUCCESS) spdlog::warn("mqtt: cannot subscribe to {}: {}", topic, mosquitto_strerror(rc_sub));
  }
  if (impl->callbacks.on_state) impl->callbacks.on_state(true, "");
}

void OnPublish(mosquitto*, void* obj, int mid) {
  MqttLink::Impl* impl = ImplOf(obj);
  auto it = impl->tags.find(mid);
  if (it == impl->tags.end()) return;
  const int64_t tag = it->second;
  impl->tags.erase(it);
  if (impl->callbacks.on_acked) impl->callbacks.on_acked(tag);
}

void OnMessage(mosquitto*, void* obj, const mosquitto_message* m) {
  MqttLink::Impl* impl = ImplOf(obj);
  if (!impl->callbacks.on_message || m->topic == nullptr) return;
  std::string payload(static_cast<const char*>(m->payload), m->payload ? static_cast<size_t>(m->payloadlen) : 0);
  impl->callbacks.on_message(m->topic, payload);
}

void OnSubscribe(mosquitto*, void* obj, int, int count, const int* granted) {
  MqttLink::Impl* impl = ImplOf(obj);
  for (int i = 0; i < count; ++i) {
    if (granted[i] > 2) spdlog::warn("mqtt: the broker refused a subscription");  // 0x80: not authorised
  }
  if (impl->callbacks.on_subscribed) impl->callbacks.on_subscribed();
}

}  // namespace

bool MqttLink::Impl::Connect() {
  // Blocking, on this thread only: the loop never waits on it, but Stop does
  // while a connect to a host that drops SYNs runs to the kernel's timeout.
  int rc = ever_connected ? mosquitto_reconnect(mosq)
                          : mosquitto_connect(mosq, options.host.c_str(), options.port,
                                              static_cast<int>(options.keepalive.count()));
  if (rc != MOSQ_ERR_SUCCESS) {
    last_error = rc == MOSQ_ERR_ERRNO ? std::string(std::strerror(errno)) : mosquitto_strerror(rc);
    return false;
  }
  ever_connected = true;  // the socket is up: from now on mosquitto_reconnect keeps host, port and session
  return true;
}

void MqttLink::Impl::Drain() {
  std::deque<Outgoing> batch;
  {
    std::lock_guard<std::mutex> lock(mu);
    batch.swap(queue);
  }
  while (!batch.empty()) {
    Outgoing& o = batch.front();
    int mid = 0;
    int rc = mosquitto_publish(mosq, &mid, o.topic.c_str(), static_cast<int>(o.payload.size()), o.payload.data(),
                               o.qos, false);
    if (rc != MOSQ_ERR_SUCCESS) break;  // kept for after the reconnect, in order
    if (o.qos > 0 && o.tag >= 0) tags[mid] = o.tag;
    batch.pop_front();
  }
  if (batch.empty()) return;
  std::lock_guard<std::mutex> lock(mu);
  queue.insert(queue.begin(), std::make_move_iterator(batch.begin()), std::make_move_iterator(batch.end()));
}

void MqttLink::Impl::Lost(const std::string& why) {
  const bool was = connected;
  connected = false;
  {
    // What is not worth keeping for later (a heartbeat) goes now, so an outage holds only the bounded QoS 1 window.
    std::lock_guard<std::mutex> lock(mu);
    std::erase_if(queue, [](const Outgoing& o) { return o.qos == 0; });
  }
  if (was && callbacks.on_state) callbacks.on_state(false, why);
}

void MqttLink::Impl::Backoff(std::chrono::seconds* delay) {
  std::unique_lock<std::mutex> lock(mu);
  cv.wait_for(lock, *delay, [this] { return stopping; });
  *delay = std::min(*delay * 2, options.reconnect_max);
}

void MqttLink::Impl::Loop() {
  std::chrono::seconds delay{1};
  bool socket_up = false;
  std::string reported;  // the last failure logged, so a long outage logs once
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (stopping) break;
    }
    if (!socket_up) {
      socket_up = Connect();
      if (!socket_up) {
        if (last_error != reported) spdlog::warn("mqtt: {}:{}: {}", options.host, options.port, last_error);
        reported = last_error;
        Backoff(&delay);
        continue;
      }
    }
    if (connected) Drain();
    int rc = mosquitto_loop(mosq, 50, 1);
    if (connected) delay = std::chrono::seconds(1), reported.clear();
    if (rc == MOSQ_ERR_SUCCESS) continue;
    std::string why = last_error.empty() ? mosquitto_strerror(rc) : last_error;
    Lost(why);
    socket_up = false;
    if (why != reported) spdlog::warn("mqtt: {}:{}: connection lost: {}", options.host, options.port, why);
    reported = why;
    Backoff(&delay);
  }
  if (socket_up) {
    mosquitto_disconnect(mosq);
    mosquitto_loop(mosq, 50, 1);  // lets the DISCONNECT leave
  }
}

Result<std::unique_ptr<MqttLink>> MqttLink::Start(MqttLinkOptions options, MqttCallbacks callbacks) {
  InitLibraryOnce();
  if (options.client_id.empty() || options.client_id.size() > 23 * 4) {
    return InvalidArgument("mqtt: a fixed client id is needed for a persistent session");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->callbacks = std::move(callbacks);
  impl->mosq = mosquitto_new(impl->options.client_id.c_str(), /*clean_session=*/false, impl.get());
  if (!impl->mosq) return Internal("mqtt: cannot create a client: " + std::string(std::strerror(errno)));
  const MqttLinkOptions& o = impl->options;
  int rc = mosquitto_tls_set(impl->mosq, o.ca_file.c_str(), nullptr, o.cert_file.c_str(), o.key_file.c_str(), nullptr);
  if (rc != MOSQ_ERR_SUCCESS) {
    return InvalidArgument("mqtt: TLS files (ca " + o.ca_file + ", certificate " + o.cert_file + ", key " +
                           o.key_file + "): " + mosquitto_strerror(rc));
  }
  rc = mosquitto_tls_opts_set(impl->mosq, 1, "tlsv1.2", nullptr);
  if (rc != MOSQ_ERR_SUCCESS) return InvalidArgument(std::string("mqtt: TLS options: ") + mosquitto_strerror(rc));
  mosquitto_connect_callback_set(impl->mosq, OnConnect);
  mosquitto_publish_callback_set(impl->mosq, OnPublish);
  mosquitto_message_callback_set(impl->mosq, OnMessage);
  mosquitto_subscribe_callback_set(impl->mosq, OnSubscribe);
  Impl* raw = impl.get();
  raw->thread = std::thread([raw] { raw->Loop(); });
  return std::unique_ptr<MqttLink>(new MqttLink(std::move(impl)));
}

MqttLink::MqttLink(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MqttLink::~MqttLink() { Stop(); }

void MqttLink::Publish(std::string topic, std::string payload, int qos, int64_t tag) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (impl_->stopping) return;
  impl_->queue.push_back({std::move(topic), std::move(payload), qos, tag});
}

void MqttLink::Stop() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace lifeline
