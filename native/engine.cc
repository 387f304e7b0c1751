#include "engine.h"

#include <algorithm>
#include <iterator>

namespace graphserve {
namespace {

// ORT's CUDA kernels (cuDNN convolutions above all) set themselves up again whenever the input shape
// differs from their last run, which costs far more than the run: seen at 300-700 ms a batch on an H200
// when batch sizes alternate. Padding to one batch size keeps the shape fixed.
int64_t PadTo(const Model& model, const BatchConfig& batching, bool enabled) {
  if (!enabled || batching.pad == BatchConfig::Pad::kNo) return 0;
  if (batching.pad == BatchConfig::Pad::kYes) return batching.max_batch_size;
  const auto& providers = model.providers();
  return !providers.empty() && providers.front() == "cuda" ? batching.max_batch_size : 0;
}

// Whether batch sizes are left to the tuner: only when nothing else decides them (no queue delay to fill
// batches, no preferred sizes, no padding to one shape).
bool Tuned(const BatchConfig& batching, bool enabled, int64_t pad_to) {
  return enabled && batching.adaptive && batching.max_queue_delay_micros == 0 &&
         batching.preferred_sizes.empty() && pad_to == 0;
}

// Inline runs block the event loop: only on the CPU, where a run is what it measures, and never with CUDA
// graphs, which forbid a run beside a scheduler thread's.
int64_t InlineRunMicros(const Model& model, const SessionConfig& config) {
  const auto& providers = model.providers();
  return !providers.empty() && providers.front() == "cpu" ? config.inline_run_micros : 0;
}

uint64_t MicrosBetween(Clock::time_point from, Clock::time_point to) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(to - from).count());
}

}  // namespace

Engine::Engine(std::unique_ptr<Model> model, const SessionConfig& config)
    : model_(std::move(model)),
      batching_(config.batching.enabled && model_->batchable()),
      // CUDA graphs forbid concurrent runs on one session.
      instances_(config.providers.size() > 0 && config.providers[0].enable_cuda_graph ? 1 : config.instances),
      pad_to_(PadTo(*model_, config.batching, batching_)),
      inline_run_micros_(InlineRunMicros(*model_, config)),
      queue_(config.batching, batching_),
      inline_runner_(std::make_unique<BatchRunner>(*model_, pad_to_)),
      tuner_(config.batching.max_batch_size, Tuned(config.batching, batching_, pad_to_)) {}

Engine::~Engine() { Shutdown(); }

void Engine::Start(Sink sink) {
  sink_ = std::move(sink);
  for (int i = 0; i < instances_; ++i) threads_.emplace_back([this] { SchedulerLoop(); });
  threads_.emplace_back([this] { ExpiryLoop(); });
}

Status Engine::Enqueue(RequestPtr* request, bool wake) {
  Status status = queue_.Push(request, wake);
  std::lock_guard<std::mutex> lock(stats_mu_);
  if (status.ok()) {
    ++stats_.requests;
  } else {
    ++stats_.rejected;
  }
  return status;
}

bool Engine::Cancel(uint64_t id, RequestPtr* request) {
  if (!queue_.Remove(id, request)) return false;
  std::lock_guard<std::mutex> lock(stats_mu_);
  ++stats_.cancelled;
  return true;
}

void Engine::SchedulerLoop() {
  BatchRunner runner(*model_, pad_to_);
  RequestList batch, expired;
  const auto cap = [this] { return tuner_.Cap(); };
  while (queue_.Pop(cap, &batch, &expired)) {
    if (!expired.empty()) Fail(std::move(expired), Status(StatusCode::kTimeout, "timed out in the queue"));
    expired.clear();
    if (batch.empty()) continue;
    RunBatch(runner, batch, false);
    Complete(std::move(batch));
    batch.clear();
  }
}

RequestList Engine::RunInline() {
  RequestList done;
  int64_t rows = inline_run_micros_ > 0 && in_flight_.load() == 0 ? InlineRows() : 0;
  if (rows == 0) {
    queue_.Wake();
    return done;
  }
  const Clock::time_point start = Clock::now();
  const auto cap = [this, &rows] { return std::min(tuner_.Cap(), rows); };
  RequestList batch, expired;
  while (queue_.TryPop(cap, &batch, &expired)) {
    MarkFailed(expired, Status(StatusCode::kTimeout, "timed out in the queue"));
    if (!batch.empty()) RunBatch(*inline_runner_, batch, true);
    for (auto* taken : {&expired, &batch}) {
      std::move(taken->begin(), taken->end(), std::back_inserter(done));
      taken->clear();
    }
    rows = InlineRows();
    if (rows == 0 || static_cast<int64_t>(MicrosBetween(start, Clock::now())) >= inline_run_micros_) break;
  }
  if (queue_.size() > 0) queue_.Wake();
  return done;
}

void Engine::RunBatch(BatchRunner& runner, RequestList& batch, bool inline_run) {
  in_flight_ += static_cast<int64_t>(batch.size());
  const Clock::time_point start = Clock::now();
  runner.Run(batch);
  const Clock::time_point end = Clock::now();
  int64_t rows = 0;
  uint64_t queued_micros = 0;
  const int64_t padded = runner.last_padded_rows();
  const uint64_t compute_micros = MicrosBetween(start, end);
  uint64_t failed = 0;
  for (const auto& r : batch) {
    rows += r->rows;
    queued_micros += MicrosBetween(r->enqueued, start);
    failed += r->status.ok() ? 0 : 1;
  }
  if (failed == 0) tuner_.Record(rows, compute_micros);
  {
    std::lock_guard<std::mutex> lock(stats_mu_);
    ++stats_.batches;
    stats_.inline_batches += inline_run ? 1 : 0;
    ++stats_.batch_sizes[rows];
    stats_.queue_micros += queued_micros;
    stats_.compute_micros += compute_micros;
    stats_.padded_rows += static_cast<uint64_t>(padded);
    stats_.failed += failed;
    recent_[runs_++ % kRecentRuns] = Run{compute_micros, rows};
  }
  in_flight_ -= static_cast<int64_t>(batch.size());
}

int64_t Engine::InlineRows() const {
  std::lock_guard<std::mutex> lock(stats_mu_);
  if (runs_ < kRecentRuns) return 0;
  int64_t rows = 0;
  for (const Run& run : recent_) {
    if (run.micros > static_cast<uint64_t>(inline_run_micros_)) return 0;
    rows = std::max(rows, run.rows);
  }
  return 2 * rows;  // room to grow: a run of twice the rows measured costs at most about twice as much
}

void Engine::ExpiryLoop() {
  RequestList expired;
  while (queue_.WaitExpired(&expired)) {
    Fail(std::move(expired), Status(StatusCode::kTimeout, "timed out in the queue"));
    expired.clear();
  }
}

void Engine::Fail(RequestList requests, const Status& status) {
  MarkFailed(requests, status);
  Complete(std::move(requests));
}

void Engine::MarkFailed(RequestList& requests, const Status& status) {
  if (requests.empty()) return;
  {
    std::lock_guard<std::mutex> lock(stats_mu_);
    stats_.failed += requests.size();
    if (status.code() == StatusCode::kTimeout) stats_.timed_out += requests.size();
  }
  for (auto& r : requests) r->status = status;
}

void Engine::Complete(RequestList requests) {
  if (!requests.empty() && sink_) sink_(std::move(requests));
}

void Engine::Shutdown() {
  std::lock_guard<std::mutex> lock(shutdown_mu_);
  if (stopped_) return;
  stopped_ = true;
  RequestList remaining = queue_.Close();
  if (!remaining.empty())
    Fail(std::move(remaining), Status(StatusCode::kDisposed, "the session was disposed"));
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

EngineStats Engine::stats() const {
  std::lock_guard<std::mutex> lock(stats_mu_);
  EngineStats s = stats_;
  s.queued = queue_.size();
  s.in_flight = in_flight_.load();
  s.batch_cap = batching_ ? tuner_.current() : 1;
  return s;
}

}  // namespace graphserve
