// BatchQueue: the queue of one session and its batch formation (after Triton's dynamic batcher).
// Thread-safe. Producers: the JS thread (Push). Consumers: the scheduler threads (Pop) and the
// expiry thread (WaitExpired).
//
// Formation: the oldest live request sets the signature; later requests with the same signature join
// in arrival order (others wait for a later batch, they never mix) while the rows fit the cap Pop is
// given (max_batch_size, or less: ./batch_tuner.h); the oldest request goes even when it alone is over it.
// With max_queue_delay 0 the batch goes at once (opportunistic: what queued while the runners were
// busy). With a delay it goes when it is full, reaches a preferred size, or its oldest request has
// waited the delay. Requests past their deadline are never run: they come back as expired.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>

#include "request.h"
#include "session_config.h"

namespace graphserve {

class BatchQueue {
 public:
  BatchQueue(const BatchConfig& config, bool batching);

  // Takes the request, or leaves it with the caller and fails (kQueueFull, kDisposed). With `wake`
  // false no runner is woken: the caller calls Wake() once after pushing several (one wake-up, one
  // batch, instead of a runner woken for each request).
  Status Push(RequestPtr* request, bool wake = true);
  // Wakes a runner waiting for requests.
  void Wake();
  // Blocks until a batch of at most cap() rows is ready (moved into *batch) or requests expired (moved
  // into *expired); cap() is asked as the batch is formed. Returns false once the queue is closed.
  bool Pop(const std::function<int64_t()>& cap, RequestList* batch, RequestList* expired);
  // Pop without blocking: false when no batch is ready now and nothing has expired.
  bool TryPop(const std::function<int64_t()>& cap, RequestList* batch, RequestList* expired);
  // Blocks until some request's deadline passes (moved into *expired). False once closed.
  bool WaitExpired(RequestList* expired);
  // Takes request `id` out of the queue into *request; false when it is not queued (running, done,
  // expired or never queued).
  bool Remove(uint64_t id, RequestPtr* request);
  // Closes the queue and hands back every request still queued.
  RequestList Close();
  size_t size() const;

 private:
  // With mu_ held: moves expired requests out; returns the earliest remaining deadline.
  Clock::time_point TakeExpired(Clock::time_point now, RequestList* expired);
  // With mu_ held: indices of the next batch, and whether it should be sent now.
  bool FormBatch(Clock::time_point now, int64_t cap, std::vector<size_t>* picked,
                 Clock::time_point* wake) const;
  void TakeIndices(const std::vector<size_t>& picked, RequestList* batch);
  // With mu_ held: takes what is ready now into *batch or *expired (true), or else sets *wake to when
  // to look again (max: only a push or a close changes anything).
  bool TakeReady(const std::function<int64_t()>& cap, RequestList* batch, RequestList* expired,
                 Clock::time_point* wake);
  static bool HasDeadline(const Request& r) { return r.deadline != Clock::time_point::max(); }

  const BatchConfig config_;
  const bool batching_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable expiry_cv_;
  std::deque<RequestPtr> queue_;
  // Queued requests that have a deadline: none (no engine timeout) spares TakeExpired its scan.
  size_t with_deadline_ = 0;
  bool closed_ = false;
};

}  // namespace graphserve
