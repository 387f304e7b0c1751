// AddonData: the per-environment (main thread or worker) state of the addon: the JS error classes
// passed in by init() and the Session constructor. Never static: each worker has its own.
#pragma once

#include <napi.h>

#include <map>

#include "status.h"

namespace graphserve {

class AddonData {
 public:
  static AddonData* Get(Napi::Env env) { return env.GetInstanceData<AddonData>(); }

  // Reads the error classes from init()'s {errors: {...}} (src/errors.ts errorClasses).
  void SetErrorClasses(Napi::Object errors);
  // A JS error of the class mapped to the status code, with the status message.
  Napi::Value MakeError(Napi::Env env, const Status& status) const;

  Napi::FunctionReference session_constructor;
  // False after the runtime refused an external ArrayBuffer (V8 sandbox): outputs are copied.
  bool external_buffers_allowed = true;

 private:
  std::map<StatusCode, Napi::FunctionReference> errors_;
  bool initialised_ = false;
};

}  // namespace graphserve
