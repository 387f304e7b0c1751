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
  explicit BatchRunner(const Model& model);
  // Sets each request's status and outputs. A failed run fails every request of the batch.
  void Run(RequestList& batch);

 private:
  Ort::Value GatherInput(size_t index, const RequestList& batch, int64_t rows);
  Status Scatter(std::vector<Ort::Value>& outputs, RequestList& batch, int64_t rows);

  const Model& model_;
  Ort::MemoryInfo memory_info_;
  std::vector<std::vector<uint8_t>> staging_;  // one buffer per input, reused across runs
};

}  // namespace graphserve
