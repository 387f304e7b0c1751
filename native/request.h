// Request: one call of session.run() on its way through the engine. Created on the JS thread,
// moved into the queue, formed into a batch and run by a scheduler thread, then handed back to the
// JS thread with its outputs or error. It holds no JS handles: those stay in SessionWrap, by id.
#pragma once

#include <onnxruntime_cxx_api.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "status.h"

namespace graphserve {

using Clock = std::chrono::steady_clock;

struct InputData {
  std::vector<int64_t> shape;
  // Numeric tensors: borrowed JS memory, kept alive by a reference in SessionWrap until the request
  // completes; the caller must not write to or transfer it meanwhile.
  const uint8_t* data = nullptr;
  size_t bytes = 0;
  // BYTES tensors: copied on the JS thread.
  std::vector<std::string> strings;
};

// One request's share of a batch output. Numeric data views `owner` (the whole batch's output, freed
// when the last view is released); strings are copied.
struct OutputSlice {
  ONNXTensorElementDataType type = ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
  std::vector<int64_t> shape;
  std::shared_ptr<Ort::Value> owner;
  const uint8_t* data = nullptr;
  size_t bytes = 0;
  std::vector<std::string> strings;
};

struct Request {
  uint64_t id = 0;
  std::vector<InputData> inputs;  // in the model's input order
  int64_t rows = 1;               // dim 0 when batching, else 1
  std::string signature;          // element types and non-batch dims: only equal signatures batch
  Clock::time_point enqueued;
  Clock::time_point deadline = Clock::time_point::max();

  // Written by the scheduler thread before the request is handed back.
  Status status;
  std::vector<OutputSlice> outputs;
};

using RequestPtr = std::unique_ptr<Request>;
using RequestList = std::vector<RequestPtr>;

}  // namespace graphserve
