#include "batch_tuner.h"

#include <algorithm>
#include <limits>

namespace graphserve {
namespace {

// Runs at the start that are neither probes nor measured (a model's first runs set up its memory).
constexpr uint64_t kWarmup = 8;
// While exploring, one batch in this many is a probe.
constexpr uint64_t kExploreEvery = 2;
// Exploring ends at the latest after this many probes of each size.
constexpr uint64_t kExploreRounds = 6;
// Then one batch in this many is a probe of a neighbouring size.
constexpr uint64_t kProbeEvery = 16;
// Runs of a size before its cost counts.
constexpr uint64_t kMinSamples = 3;
// Another size must cost this much less per row to be chosen (measurements are noisy).
constexpr double kMargin = 0.1;

}  // namespace

BatchTuner::BatchTuner(int64_t max_batch_size, bool enabled) : enabled_(enabled && max_batch_size > 1) {
  for (int64_t rows = 1; rows < max_batch_size; rows *= 2) sizes_.push_back(Size{rows});
  sizes_.push_back(Size{max_batch_size});
  current_ = sizes_.size() - 1;
}

bool BatchTuner::Explored() {
  if (explored_) return true;
  if (largest_ == 0) return false;
  bool measured = true, probed = true;
  for (size_t i = 0; i < sizes_.size(); ++i) {
    if (i != current_ && sizes_[i].probes < kExploreRounds) probed = false;
    const bool reached = i == 0 || sizes_[i - 1].rows < largest_;  // sizes above what the load fills wait
    if (reached && sizes_[i].samples < kMinSamples) measured = false;
  }
  return explored_ = measured || probed;
}

int64_t BatchTuner::Cap() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!enabled_ || ++batches_ <= kWarmup) return sizes_[current_].rows;
  if (!Explored()) {  // every size in turn, one batch in kExploreEvery
    if (batches_ % kExploreEvery != 0) return sizes_[current_].rows;
    if (next_probe_ == current_) next_probe_ = (next_probe_ + 1) % sizes_.size();
    Size& probe = sizes_[next_probe_];
    ++probe.probes;
    next_probe_ = (next_probe_ + 1) % sizes_.size();
    return probe.rows;
  }
  if (batches_ % kProbeEvery != 0) return sizes_[current_].rows;
  // Then the next smaller and the next larger size, alternately: a probe costs about a batch.
  const bool can_down = current_ > 0;
  const bool can_up = current_ + 1 < sizes_.size();
  const bool down = can_down && (probe_down_ || !can_up);
  probe_down_ = !probe_down_;
  if (down) return sizes_[current_ - 1].rows;
  return can_up ? sizes_[current_ + 1].rows : sizes_[current_].rows;
}

void BatchTuner::Record(int64_t rows, uint64_t micros) {
  if (!enabled_ || rows <= 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (++records_ <= kWarmup) return;
  largest_ = std::max(largest_, rows);
  for (Size& size : sizes_) {
    if (size.rows < rows) continue;  // a batch counts for the smallest cap that lets it through
    size.recent[size.samples % kWindow] = static_cast<double>(micros) / static_cast<double>(rows);
    ++size.samples;
    Decide();
    return;
  }
}

void BatchTuner::Decide() {
  if (!Explored()) return;
  if (!chosen_) {
    // First choice, once the current size has been measured too: among every size measured.
    if (sizes_[current_].samples < kMinSamples) return;
    current_ = Cheapest(0, sizes_.size());
    chosen_ = true;
    return;
  }
  // Then a step to a neighbour, the sizes the probes keep measured.
  current_ = Cheapest(current_ > 0 ? current_ - 1 : 0, std::min(current_ + 2, sizes_.size()));
}

size_t BatchTuner::Cheapest(size_t from, size_t to) const {
  if (sizes_[current_].samples < kMinSamples) return current_;  // nothing to compare with yet
  size_t best = current_;
  double best_cost = sizes_[current_].Cost() * (1 - kMargin);
  for (size_t i = from; i < to; ++i) {
    if (sizes_[i].samples < kMinSamples) continue;
    const double cost = sizes_[i].Cost();
    if (cost < best_cost) {
      best = i;
      best_cost = cost;
    }
  }
  return best;
}

double BatchTuner::Size::Cost() const {
  if (samples == 0) return std::numeric_limits<double>::infinity();
  const auto n = static_cast<std::ptrdiff_t>(std::min(samples, kWindow));
  return *std::min_element(recent.begin(), recent.begin() + n);
}

int64_t BatchTuner::current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sizes_[current_].rows;
}

}  // namespace graphserve
