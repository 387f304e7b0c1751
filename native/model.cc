#include "model.h"

#include <unordered_map>

#include "ort_env.h"
#include "providers.h"

namespace graphserve {
namespace {

GraphOptimizationLevel ToOrtLevel(const std::string& level) {
  if (level == "disabled") return ORT_DISABLE_ALL;
  if (level == "basic") return ORT_ENABLE_BASIC;
  if (level == "extended") return ORT_ENABLE_EXTENDED;
  return ORT_ENABLE_ALL;
}

Ort::SessionOptions BaseOptions(const SessionConfig& config) {
  Ort::SessionOptions options;
  if (config.intra_op_threads > 0) options.SetIntraOpNumThreads(config.intra_op_threads);
  if (config.inter_op_threads > 0) options.SetInterOpNumThreads(config.inter_op_threads);
  options.SetGraphOptimizationLevel(ToOrtLevel(config.graph_optimization_level));
  // ORT's pool threads spin between the parallel sections of a run (waking a sleeping thread per
  // operator costs far more on small models). By default spinning stops as soon as the last Run
  // returns, so idle threads never take cores from the JS event loop; `spinning` keeps it on.
  options.AddConfigEntry("session.intra_op.allow_spinning", "1");
  options.AddConfigEntry("session.inter_op.allow_spinning", "1");
  if (!config.spinning) options.AddConfigEntry("session.force_spinning_stop", "1");
  if (!config.cpu_mem_arena) {
    options.DisableCpuMemArena();
    options.DisableMemPattern();
  }
  return options;
}

IoInfo Describe(const std::string& name, const Ort::TypeInfo& type_info) {
  IoInfo io{name, ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED, {}};
  if (type_info.GetONNXType() != ONNX_TYPE_TENSOR) return io;
  // type_info must outlive this view (a view of a temporary dangles).
  auto tensor_info = type_info.GetTensorTypeAndShapeInfo();
  io.type = tensor_info.GetElementType();
  io.shape = tensor_info.GetShape();
  return io;
}

}  // namespace

Status Model::Load(const SessionConfig& config, std::unique_ptr<Model>* out,
                   std::vector<std::string>* warnings) {
  Status status = InitOrtApi();
  if (!status.ok()) return status;
  std::unique_ptr<Model> model(new Model());
  try {
    Ort::SessionOptions options = BaseOptions(config);
    status = AppendProviders(config.providers, &options, &model->providers_, warnings);
    if (!status.ok()) return status;
    Ort::Env& env = OrtEnvironment();
    if (!config.model_bytes.empty()) {
      model->session_ =
          std::make_unique<Ort::Session>(env, config.model_bytes.data(), config.model_bytes.size(), options);
    } else {
      model->session_ = std::make_unique<Ort::Session>(env, config.model_path.c_str(), options);
    }
    status = model->ReadIo();
  } catch (const Ort::Exception& e) {
    const std::string what = config.model_bytes.empty() ? "'" + config.model_path + "'" : "model bytes";
    return Status(StatusCode::kLoadError, "cannot load " + what + ": " + e.what());
  }
  if (status.ok()) *out = std::move(model);
  return status;
}

Status Model::ReadIo() {
  const size_t n_in = session_->GetInputCount();
  const size_t n_out = session_->GetOutputCount();
  Ort::AllocatorWithDefaultOptions allocator;
  for (size_t i = 0; i < n_in; ++i) {
    Ort::TypeInfo type_info = session_->GetInputTypeInfo(i);
    inputs_.push_back(Describe(session_->GetInputNameAllocated(i, allocator).get(), type_info));
  }
  for (size_t i = 0; i < n_out; ++i) {
    Ort::TypeInfo type_info = session_->GetOutputTypeInfo(i);
    outputs_.push_back(Describe(session_->GetOutputNameAllocated(i, allocator).get(), type_info));
  }
  for (const auto& io : inputs_) input_names_.push_back(io.name.c_str());
  for (const auto& io : outputs_) output_names_.push_back(io.name.c_str());
  return Status::Ok();
}

bool Model::batchable() const {
  auto dynamic_first = [](const IoInfo& io) { return !io.shape.empty() && io.shape[0] < 0; };
  for (const auto& io : inputs_) {
    if (!dynamic_first(io)) return false;
  }
  for (const auto& io : outputs_) {
    if (!dynamic_first(io)) return false;
  }
  return !inputs_.empty();
}

Status Model::Run(const std::vector<Ort::Value>& inputs, std::vector<Ort::Value>* outputs) const {
  try {
    Ort::RunOptions run_options;
    *outputs = session_->Run(run_options, input_names_.data(), inputs.data(), inputs.size(),
                             output_names_.data(), output_names_.size());
  } catch (const Ort::Exception& e) {
    return Status(StatusCode::kModelError, std::string("inference failed: ") + e.what());
  }
  return Status::Ok();
}

}  // namespace graphserve
