// Engine: a Model, its BatchQueue, `instances` scheduler threads that form and run batches, and one
// expiry thread that fails requests whose deadline passes while queued. Completed requests go to the
// sink (called from engine threads; the sink hands them to the JS thread).
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "batch_queue.h"
#include "batch_runner.h"
#include "batch_tuner.h"
#include "model.h"

namespace graphserve {

struct EngineStats {
  uint64_t requests = 0;  // accepted into the queue
  uint64_t batches = 0;
  uint64_t inline_batches = 0;  // of them, run on the JS thread (RunInline)
  uint64_t failed = 0;
  uint64_t timed_out = 0;
  uint64_t rejected = 0;     // refused at enqueue (queue full, disposed)
  uint64_t cancelled = 0;    // removed from the queue by Cancel() before they ran
  uint64_t padded_rows = 0;  // zero rows added to batches (padBatches)
  uint64_t queue_micros = 0;
  uint64_t compute_micros = 0;
  std::map<int64_t, uint64_t> batch_sizes;  // rows → runs
  size_t queued = 0;
  int64_t in_flight = 0;
  int64_t batch_cap = 0;  // rows batches are capped at now (BatchTuner)
};

class Engine {
 public:
  using Sink = std::function<void(RequestList)>;

  Engine(std::unique_ptr<Model> model, const SessionConfig& config);
  ~Engine();  // Shutdown() if still running

  // Starts the threads; completed requests go to `sink`.
  void Start(Sink sink);
  // Queues a request (takes it) or fails and leaves it with the caller. `wake` as BatchQueue::Push.
  Status Enqueue(RequestPtr* request, bool wake = true);
  // Wakes a runner for requests enqueued with `wake` false.
  void Wake() { queue_.Wake(); }
  // Instead of Wake(), on the JS thread: when the model is fast (each of its last kRecentRuns runs took at
  // most inline_run_micros) and no runner is busy, runs the ready batches right here, each of at most
  // twice the rows of the largest of those runs, for up to about inline_run_micros in all (at least one
  // batch), and returns those requests completed (expired ones too); a runner is woken for whatever stays
  // queued. For a tiny model the hand-off to a scheduler thread and back (a wake-up, then a completion on
  // the next turn of the event loop) costs more than the run. A run that takes longer sends at least the
  // model's next kRecentRuns batches to the scheduler thread.
  RequestList RunInline();
  // Takes request `id` back while it is still queued (*request gets it; it is never run). False once
  // a runner has taken it: it then completes through the sink as usual.
  bool Cancel(uint64_t id, RequestPtr* request);
  // Closes the queue (queued requests complete with kDisposed), lets running batches finish, joins
  // every thread. Blocks for at most one run; call it off the JS thread. Idempotent.
  void Shutdown();

  const Model& model() const { return *model_; }
  bool batching() const { return batching_; }
  EngineStats stats() const;

 private:
  void SchedulerLoop();
  void ExpiryLoop();
  void Complete(RequestList requests);
  void Fail(RequestList requests, const Status& status);
  // Sets `status` on every request and counts them failed.
  void MarkFailed(RequestList& requests, const Status& status);
  // Runs one batch with `runner` and records it (stats, tuner, recent runs); `inline_run`: on the JS thread.
  void RunBatch(BatchRunner& runner, RequestList& batch, bool inline_run);
  // The rows an inline batch may take: 0 unless each of the last kRecentRuns runs took at most
  // inline_run_micros_, else twice the most rows one of them ran.
  int64_t InlineRows() const;

  std::unique_ptr<Model> model_;
  const bool batching_;
  const int instances_;
  const int64_t pad_to_;             // rows every batch is padded to; 0 = no padding
  const int64_t inline_run_micros_;  // 0: never inline (see RunInline)
  BatchQueue queue_;
  std::unique_ptr<BatchRunner> inline_runner_;  // used on the JS thread only
  BatchTuner tuner_;
  Sink sink_;
  std::vector<std::thread> threads_;
  std::mutex shutdown_mu_;
  bool stopped_ = false;

  mutable std::mutex stats_mu_;
  EngineStats stats_;
  static constexpr size_t kRecentRuns = 8;
  struct Run {
    uint64_t micros = 0;
    int64_t rows = 0;
  };
  std::array<Run, kRecentRuns> recent_{};  // the last runs, a ring
  uint64_t runs_ = 0;
  std::atomic<int64_t> in_flight_{0};
};

}  // namespace graphserve
