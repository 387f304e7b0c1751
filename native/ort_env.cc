#include "ort_env.h"

#include <mutex>

namespace graphserve {

Status InitOrtApi() {
  static std::once_flag once;
  static Status status;
  std::call_once(once, [] {
    const OrtApi* api = OrtGetApiBase()->GetApi(ORT_API_VERSION);
    if (api == nullptr) {
      status = Status(StatusCode::kLoadError,
                      std::string("the ONNX Runtime library (") + OrtGetApiBase()->GetVersionString() +
                          ") is older than the headers graphserve was built with (API " +
                          std::to_string(ORT_API_VERSION) + "); rebuild against an older ORT or upgrade it");
      return;
    }
    Ort::InitApi(api);
  });
  return status;
}

Ort::Env& OrtEnvironment() {
  // Leaked on purpose: sessions in other threads may still be released during process teardown.
  static Ort::Env* env = new Ort::Env(ORT_LOGGING_LEVEL_WARNING, "graphserve");
  return *env;
}

std::string OrtVersionString() { return OrtGetApiBase()->GetVersionString(); }

}  // namespace graphserve
