// The one ONNX Runtime environment of the process. ORT allows a single OrtEnv per process (a second
// CreateEnv returns the first), shared with onnxruntime-node if it is loaded too, so it is created once,
// on first use, and never destroyed (it must outlive every session of every worker).
#pragma once

#include <onnxruntime_cxx_api.h>

#include <string>

#include "status.h"

namespace graphserve {

// Binds the C++ wrapper to the runtime's API table; fails when the runtime is older than the headers.
Status InitOrtApi();
// The process-wide environment (created on first call; thread-safe).
Ort::Env& OrtEnvironment();
std::string OrtVersionString();

}  // namespace graphserve
