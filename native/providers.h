// Execution providers: appends the configured list (e.g. cuda, then cpu) to session options.
#pragma once

#include <onnxruntime_cxx_api.h>

#include <string>
#include <vector>

#include "session_config.h"
#include "status.h"

namespace graphserve {

// Appends each provider in order. A provider that cannot be appended (CUDA libraries missing) is
// skipped with a warning when 'cpu' is also listed, and is a kProviderError otherwise. `used` receives
// the providers actually in use, in order.
Status AppendProviders(const std::vector<ProviderConfig>& providers, Ort::SessionOptions* options,
                       std::vector<std::string>* used, std::vector<std::string>* warnings);

}  // namespace graphserve
