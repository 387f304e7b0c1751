// BatchRunner: runs one formed batch. Gathers the requests' inputs into batch tensors (a lone
// request's numeric inputs are read in place; otherwise each is copied once into a staging buffer
// owned by this runner), runs the model, and scatters the outputs back by rows. One per scheduler
// thread; not thread-safe.
#pragma once

#include <vector>

#include "model.h"
#include "request.h"

namespace graphserve {

class BatchRunner {
 public:
  // `pad_to`: rows every batch smaller than it is padded to with zero rows (empty strings); 0 = none.
  BatchRunner(const Model& model, int64_t pad_to);
  // Sets each request's status and outputs. A failed run fails every request of the batch.
  void Run(RequestList& batch);
  // Zero rows the last Run() added.
  int64_t last_padded_rows() const { return last_padded_; }

 private:
  // `rows`: the requests' rows; `run_rows`: rows of the tensor run (rows plus padding).
  Ort::Value GatherInput(size_t index, const RequestList& batch, int64_t rows, int64_t run_rows);
  Status Scatter(std::vector<Ort::Value>& outputs, RequestList& batch, int64_t run_rows);

  const Model& model_;
  const int64_t pad_to_;
  int64_t last_padded_ = 0;
  Ort::MemoryInfo memory_info_;
  std::vector<std::vector<uint8_t>> staging_;  // one buffer per input, reused across runs
};

}  // namespace graphserve
