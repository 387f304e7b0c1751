// Model: one loaded ORT session and what it declares. Thread-safe: Run may be called from several
// scheduler threads at once (ORT's Session::Run is thread-safe), except with CUDA graphs, where the
// engine runs one instance only.
#pragma once

#include <onnxruntime_cxx_api.h>

#include <memory>
#include <string>
#include <vector>

#include "session_config.h"
#include "status.h"

namespace graphserve {

struct IoInfo {
  std::string name;
  ONNXTensorElementDataType type;
  std::vector<int64_t> shape;  // -1 for dynamic dims
};

class Model {
 public:
  // Loads the model with the configured providers. With 'cpu' listed after an unavailable provider, it
  // falls back and appends a warning; without it, fails with kProviderError.
  static Status Load(const SessionConfig& config, std::unique_ptr<Model>* out,
                     std::vector<std::string>* warnings);

  const std::vector<IoInfo>& inputs() const { return inputs_; }
  const std::vector<IoInfo>& outputs() const { return outputs_; }
  const std::vector<std::string>& providers() const { return providers_; }
  // True when every input and output has a dynamic first dimension, so requests can be stacked.
  bool batchable() const;

  // Runs one batch. `inputs` are in input order; `outputs` receives every output, in output order.
  Status Run(const std::vector<Ort::Value>& inputs, std::vector<Ort::Value>* outputs) const;

 private:
  Model() = default;
  Status ReadIo();

  std::unique_ptr<Ort::Session> session_;
  std::vector<IoInfo> inputs_;
  std::vector<IoInfo> outputs_;
  std::vector<const char*> input_names_;
  std::vector<const char*> output_names_;
  std::vector<std::string> providers_;
};

}  // namespace graphserve
