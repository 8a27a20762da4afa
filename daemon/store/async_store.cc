#include <asio/post.hpp>

#include "daemon/core/log.h"
#include "daemon/store/store.h"

namespace lifeline {
namespace {

// No exception crosses the worker: a job that throws (a JSON dump of bytes
// that are not UTF-8, an allocation failure) is a failed job, rolled back.
Status RunGuarded(const AsyncStore::Job& job, Store& store) {
  try {
    return job(store);
  } catch (const std::exception& e) {
    return Status(StatusCode::kInternal, std::string("store job threw: ") + e.what());
  } catch (...) {
    return Status(StatusCode::kInternal, "store job threw");
  }
}

}  // namespace

AsyncStore::AsyncStore(std::unique_ptr<Store> store, asio::io_context& io)
    : store_(std::move(store)), io_(io), worker_([this] { WorkerLoop(); }) {}

AsyncStore::~AsyncStore() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  worker_.join();
}

void AsyncStore::Run(Job job, Done done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back({std::move(job), std::move(done)});
  }
  cv_.notify_one();
}

void AsyncStore::RunInBackground(std::string what, Job job) {
  Run(std::move(job), [failures = background_failures_, what = std::move(what)](Status s) {
    if (s.ok()) return;
    failures->fetch_add(1);
    spdlog::error("store: {} was not recorded: {}", what, s.ToString());
  });
}

void AsyncStore::SetCommitObserver(CommitObserver observer) {
  std::lock_guard<std::mutex> lock(mu_);
  observer_ = observer ? std::make_shared<const CommitObserver>(std::move(observer)) : nullptr;
}

void AsyncStore::WorkerLoop() {
  for (;;) {
    std::vector<Pending> batch;
    std::shared_ptr<const CommitObserver> observer;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      // Everything that queued up during the previous commit goes in one.
      while (!queue_.empty() && batch.size() < 256) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      observer = observer_;
    }
    RunBatch(batch, observer.get());
  }
}

void AsyncStore::RunBatch(std::vector<Pending>& batch, const CommitObserver* observer) {
  std::vector<Status> results(batch.size());
  Status begun = store_->Begin();
  if (!begun.ok()) {
    for (auto& r : results) r = begun;
  } else {
    for (size_t i = 0; i < batch.size(); ++i) {
      Status s = store_->Savepoint();
      if (s.ok()) s = RunGuarded(batch[i].job, *store_);
      if (s.ok()) s = store_->ReleaseSavepoint();
      else store_->RollbackSavepoint();
      results[i] = s;
    }
    const auto commit_start = std::chrono::steady_clock::now();
    Status committed = store_->Commit();
    const auto commit_time =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - commit_start);
    // A job that succeeded inside a batch whose commit failed did not succeed.
    if (!committed.ok()) {
      for (auto& r : results) {
        if (r.ok()) r = committed;
      }
    } else if (observer) {
      (*observer)(*store_, commit_time);
    }
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    asio::post(io_, [done = std::move(batch[i].done), s = results[i]]() { done(s); });
  }
}

}  // namespace lifeline
