#include "tools/lifeline/client.h"

#include <curl/curl.h>

namespace lifeline::cli {
namespace {

size_t Collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

size_t Header(char* data, size_t size, size_t n, void* out) {
  std::string line(data, size * n);
  auto* r = static_cast<RawResponse*>(out);
  const std::string lower = [&] {
    std::string l = line.substr(0, line.find(':'));
    for (char& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return l;
  }();
  auto value = [&] {
    std::string v = line.find(':') == std::string::npos ? "" : line.substr(line.find(':') + 1);
    while (!v.empty() && (v.front() == ' ')) v.erase(v.begin());
    while (!v.empty() && (v.back() == '\r' || v.back() == '\n')) v.pop_back();
    return v;
  };
  if (lower == "content-type") r->content_type = value();
  if (lower == "x-bundle-sha256") r->bundle_sha256 = value();
  return size * n;
}

}  // namespace

Result<RawResponse> CallDaemonRaw(const std::string& socket_path, const std::string& method, const std::string& path) {
  CURL* curl = curl_easy_init();
  if (!curl) return Internal("curl_easy_init failed");
  RawResponse r;
  std::string url = "http://lifelined" + path;
  curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, socket_path.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, Header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &r);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 120L);
  CURLcode rc = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) {
    return Unavailable("cannot reach lifelined at " + socket_path + ": " + curl_easy_strerror(rc) + " (is it running?)");
  }
  return r;
}

Result<ApiResponse> CallDaemon(const std::string& socket_path, const std::string& method,
                               const std::string& path, const std::string& body) {
  CURL* curl = curl_easy_init();
  if (!curl) return Internal("curl_easy_init failed");
  std::string url = "http://lifelined" + path, received;
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, socket_path.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &received);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
  if (method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  CURLcode rc = curl_easy_perform(curl);
  ApiResponse r;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) {
    return Unavailable("cannot reach lifelined at " + socket_path + ": " + curl_easy_strerror(rc) +
                       " (is it running?)");
  }
  r.body = nlohmann::json::parse(received, nullptr, false);
  return r;
}

}  // namespace lifeline::cli
