// Conversions between JS tensors ({name, datatype, shape, data}) and the engine's structs. JS thread
// only. Inputs arrive already validated by bindings/session.ts; these functions only assert.
#pragma once

#include <napi.h>

#include "addon_data.h"
#include "request.h"

namespace graphserve {

// Reads one input tensor. Numeric data is borrowed: `keep_alive` receives the TypedArray, which the
// caller must hold until the request completes. BYTES data (an array of Buffers) is copied.
InputData ReadInput(Napi::Object tensor, Napi::Value* keep_alive);
// Builds {name, datatype, shape, data} for one output slice: an external ArrayBuffer over ORT's
// memory when the runtime allows it (freed when collected), else a copy.
Napi::Object MakeOutput(Napi::Env env, AddonData* data, const std::string& name, const OutputSlice& slice);
Napi::Array ShapeToJs(Napi::Env env, const std::vector<int64_t>& shape);

}  // namespace graphserve
