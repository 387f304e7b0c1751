#include "batch_queue.h"

#include <algorithm>

namespace graphserve {
namespace {

// How far past the head formation looks for compatible requests (bounds the cost of mixed shapes).
constexpr size_t kScanLimit = 1024;

}  // namespace

BatchQueue::BatchQueue(const BatchConfig& config, bool batching) : config_(config), batching_(batching) {}

Status BatchQueue::Push(RequestPtr* request, bool wake) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return Status(StatusCode::kDisposed, "the session is disposed");
    if (static_cast<int64_t>(queue_.size()) >= config_.max_queue_size) {
      return Status(StatusCode::kQueueFull, "the model's queue is full (" + std::to_string(queue_.size()) +
                                                " requests waiting; maxQueueSize " +
                                                std::to_string(config_.max_queue_size) + "); retry later");
    }
    (*request)->enqueued = Clock::now();
    const bool has_deadline = HasDeadline(**request);
    queue_.push_back(std::move(*request));
    if (has_deadline) {
      ++with_deadline_;
      expiry_cv_.notify_one();
    }
  }
  if (wake) cv_.notify_one();
  return Status::Ok();
}

void BatchQueue::Wake() { cv_.notify_one(); }

Clock::time_point BatchQueue::TakeExpired(Clock::time_point now, RequestList* expired) {
  Clock::time_point earliest = Clock::time_point::max();
  if (with_deadline_ == 0) return earliest;  // no scan of a long queue without timeouts (the usual case)
  for (auto it = queue_.begin(); it != queue_.end();) {
    if ((*it)->deadline <= now) {
      --with_deadline_;
      expired->push_back(std::move(*it));
      it = queue_.erase(it);
    } else {
      earliest = std::min(earliest, (*it)->deadline);
      ++it;
    }
  }
  return earliest;
}

bool BatchQueue::FormBatch(Clock::time_point now, int64_t cap, std::vector<size_t>* picked,
                           Clock::time_point* wake) const {
  const Request& head = *queue_.front();
  picked->push_back(0);
  int64_t rows = head.rows;
  if (!batching_) return true;
  size_t best_preferred = 0;  // prefix length (in requests) that reached a preferred size
  const auto& preferred = config_.preferred_sizes;
  auto is_preferred = [&](int64_t r) { return std::binary_search(preferred.begin(), preferred.end(), r); };
  if (is_preferred(rows)) best_preferred = 1;
  bool full = rows >= cap;
  const size_t limit = std::min(queue_.size(), kScanLimit);
  for (size_t i = 1; i < limit && !full; ++i) {
    const Request& r = *queue_[i];
    if (r.signature != head.signature) continue;
    if (rows + r.rows > cap) {
      full = true;  // the next compatible request does not fit: the batch cannot grow
      break;
    }
    picked->push_back(i);
    rows += r.rows;
    if (is_preferred(rows)) best_preferred = picked->size();
    full = rows >= cap;
  }
  if (best_preferred > 0 && !full) picked->resize(best_preferred);
  const auto delay = std::chrono::microseconds(config_.max_queue_delay_micros);
  const bool waited = now - head.enqueued >= delay;
  if (config_.max_queue_delay_micros == 0 || full || best_preferred > 0 || waited) return true;
  *wake = head.enqueued + delay;
  return false;
}

void BatchQueue::TakeIndices(const std::vector<size_t>& picked, RequestList* batch) {
  for (size_t i : picked) {
    if (HasDeadline(*queue_[i])) --with_deadline_;
    batch->push_back(std::move(queue_[i]));
  }
  // picked is ascending: erase from the back so earlier indices stay valid.
  for (auto it = picked.rbegin(); it != picked.rend(); ++it) queue_.erase(queue_.begin() + *it);
}

bool BatchQueue::TakeReady(const std::function<int64_t()>& cap, RequestList* batch, RequestList* expired,
                           Clock::time_point* wake) {
  const Clock::time_point now = Clock::now();
  *wake = TakeExpired(now, expired);
  if (!expired->empty()) return true;
  if (queue_.empty()) return false;
  std::vector<size_t> picked;
  Clock::time_point send_at = Clock::time_point::max();
  if (FormBatch(now, cap(), &picked, &send_at)) {
    TakeIndices(picked, batch);
    return true;
  }
  *wake = std::min(*wake, send_at);
  return false;
}

bool BatchQueue::Pop(const std::function<int64_t()>& cap, RequestList* batch, RequestList* expired) {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    if (closed_) return false;
    Clock::time_point wake;
    if (TakeReady(cap, batch, expired, &wake)) {
      if (!queue_.empty()) cv_.notify_one();  // another runner may take the rest
      return true;
    }
    if (wake == Clock::time_point::max()) {
      cv_.wait(lock);
    } else {
      cv_.wait_until(lock, wake);
    }
  }
}

bool BatchQueue::TryPop(const std::function<int64_t()>& cap, RequestList* batch, RequestList* expired) {
  std::lock_guard<std::mutex> lock(mu_);
  Clock::time_point wake;
  return !closed_ && TakeReady(cap, batch, expired, &wake);
}

bool BatchQueue::WaitExpired(RequestList* expired) {
  std::unique_lock<std::mutex> lock(mu_);
  while (!closed_) {
    const Clock::time_point wake = TakeExpired(Clock::now(), expired);
    if (!expired->empty()) return true;
    if (wake == Clock::time_point::max()) {
      expiry_cv_.wait(lock);
    } else {
      expiry_cv_.wait_until(lock, wake);
    }
  }
  return false;
}

bool BatchQueue::Remove(uint64_t id, RequestPtr* request) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    if ((*it)->id != id) continue;
    if (HasDeadline(**it)) --with_deadline_;
    *request = std::move(*it);
    queue_.erase(it);
    return true;
  }
  return false;
}

RequestList BatchQueue::Close() {
  RequestList remaining;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    for (auto& r : queue_) remaining.push_back(std::move(r));
    queue_.clear();
    with_deadline_ = 0;
  }
  cv_.notify_all();
  expiry_cv_.notify_all();
  return remaining;
}

size_t BatchQueue::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

}  // namespace graphserve
