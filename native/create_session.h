// createSession(model, options): parses the validated options on the JS thread (copying model bytes
// out of V8), loads the model off the JS thread, and resolves with a NativeSession.
#pragma once

#include <napi.h>

namespace graphserve {

Napi::Value CreateSession(const Napi::CallbackInfo& info);

}  // namespace graphserve
