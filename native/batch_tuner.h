// BatchTuner: the size an engine's batches are capped at, from what its runs measure.
//
// A larger batch is not always cheaper per row. On a CPU a convolutional model's batch of 32 can cost
// 1.6-2x per row what a batch of 2-4 does (its activations no longer fit in cache: the PP-OCR direction
// classifier on this project's 2-core machine, bench/README.md), while a tiny model or a GPU gains from
// every row added. The tuner measures instead of assuming. It tracks the sizes 1, 2, 4, … up to
// max_batch_size; a run counts for the smallest of them that its rows fit (a run of 29 rows for 32: what
// a cap of 32 gives when 29 are queued), and a size's cost is the least time per row of its last few runs
// (noise only ever adds time).
//
// Exploring: after kWarmup runs (a model's first runs set up its memory), every other batch is capped at
// each size in turn, until every size up to the one the largest batch so far fits has kMinSamples runs, or
// after kExploreRounds probes of each size (a size the load never fills, such as 1 and 2 when every request
// has 3 rows, stays unmeasured). Then, as soon as the current size (max_batch_size) has been measured too,
// the cap moves to the cheapest measured size when that is clearly cheaper (kMargin).
// Steady: one batch in kProbeEvery is capped at the next smaller or the next larger size, alternately, and
// the cap steps to that neighbour when it has become clearly cheaper. Sizes far from the chosen one, whose
// large batches would be expensive probes, are not measured again.
//
// So a model behaves as without the tuner (batches as large as the queue allows) until a smaller size has
// been measured cheaper than maxBatchSize under load. The cap only matters when more requests are queued
// than it lets through: the rest form the next batches, run back to back. Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <vector>

namespace graphserve {

class BatchTuner {
 public:
  // With `enabled` false (or max_batch_size 1) the cap is always max_batch_size.
  BatchTuner(int64_t max_batch_size, bool enabled);

  // The cap for the batch being formed now: the chosen size, or now and then another one to measure.
  int64_t Cap();
  // Records one run of `rows` rows (no padding) that took `micros` microseconds (see the file comment).
  void Record(int64_t rows, uint64_t micros);
  // The chosen size (probes aside).
  int64_t current() const;

 private:
  static constexpr uint64_t kWindow = 8;
  struct Size {
    int64_t rows;
    // The last kWindow runs' time per row; a run only ever takes longer than the model needs (another
    // thread took its core), so the smallest of them is the estimate.
    std::array<double, kWindow> recent{};
    uint64_t samples = 0;
    uint64_t probes = 0;  // batches capped at this size while exploring
    double Cost() const;  // infinity before the first run
  };
  // With mu_ held: after exploring, once the current size is measured, moves to the cheapest measured size
  // when it is clearly cheaper; from then on only to a neighbour.
  void Decide();
  // With mu_ held: the index in [from, to) of the measured size clearly cheaper than the current one, the
  // cheapest such; current_ when none is, or when the current size has not been measured.
  size_t Cheapest(size_t from, size_t to) const;
  // With mu_ held: whether exploring is over (see the file comment).
  bool Explored();

  const bool enabled_;
  mutable std::mutex mu_;
  std::vector<Size> sizes_;  // 1, 2, 4, … , max_batch_size, ascending
  size_t current_;           // index into sizes_
  uint64_t batches_ = 0;     // Cap() calls
  uint64_t records_ = 0;     // Record() calls
  int64_t largest_ = 0;      // rows of the largest batch recorded
  size_t next_probe_ = 0;    // while exploring: the size the next probe tries (the current one skipped)
  bool probe_down_ = true;   // then: which neighbour the next probe tries
  bool explored_ = false;
  bool chosen_ = false;  // the first choice, among every size, is made
};

}  // namespace graphserve
