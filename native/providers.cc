#include "providers.h"

#include <algorithm>
#include <unordered_map>

namespace graphserve {
namespace {

constexpr const char* kCudaHelp =
    "The CUDA execution provider needs libonnxruntime_providers_cuda.so and "
    "libonnxruntime_providers_shared.so in the folder of the libonnxruntime.so.1 graphserve loaded "
    "(prebuilds/<platform>-<arch>/ or build/Release/; an ONNX Runtime GPU release has them, and "
    "ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js fetches them "
    "into onnxruntime-node's bin folder where the internet is reachable), plus the CUDA 12 runtime, "
    "cuBLAS and cuDNN 9 libraries on the loader path.";

void AppendCuda(const ProviderConfig& p, Ort::SessionOptions* options) {
  Ort::CUDAProviderOptions cuda;
  std::unordered_map<std::string, std::string> values = {
      {"device_id", std::to_string(p.device_id)},
      {"cudnn_conv_algo_search", p.cudnn_conv_algo_search},
      {"enable_cuda_graph", p.enable_cuda_graph ? "1" : "0"},
  };
  if (p.gpu_mem_limit > 0) values["gpu_mem_limit"] = std::to_string(p.gpu_mem_limit);
  cuda.Update(values);
  options->AppendExecutionProvider_CUDA_V2(*cuda);
}

}  // namespace

Status AppendProviders(const std::vector<ProviderConfig>& providers, Ort::SessionOptions* options,
                       std::vector<std::string>* used, std::vector<std::string>* warnings) {
  const bool cpu_listed = std::any_of(providers.begin(), providers.end(),
                                      [](const ProviderConfig& p) { return p.name == "cpu"; });
  for (const auto& p : providers) {
    if (p.name == "cpu") {
      used->push_back("cpu");  // ORT always has the CPU provider, last in its list.
      continue;
    }
    try {
      AppendCuda(p, options);
      used->push_back("cuda");
    } catch (const Ort::Exception& e) {
      std::string message =
          std::string("CUDA execution provider unavailable: ") + e.what() + ". " + kCudaHelp;
      if (!cpu_listed) return Status(StatusCode::kProviderError, message);
      warnings->push_back(message + " Falling back to the CPU provider.");
    }
  }
  if (used->empty()) used->push_back("cpu");
  return Status::Ok();
}

}  // namespace graphserve
