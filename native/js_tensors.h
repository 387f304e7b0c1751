// Conversions between JS tensors and the engine's structs. JS thread only. Inputs arrive already validated by
// bindings/session.ts; these functions only assert.
#pragma once

#include <napi.h>

#include "addon_data.h"
#include "request.h"

namespace graphserve {

// Reads one input tensor from its shape (an array of numbers) and data. Numeric data is borrowed:
// `keep_alive` receives the TypedArray, which the caller must hold until the request completes. BYTES
// data (an array of Buffers) is copied.
InputData ReadInput(Napi::Array shape, Napi::Value data, Napi::Value* keep_alive);
// The data of one output slice: a TypedArray (over an external ArrayBuffer on ORT's memory when the
// runtime allows it and the slice is large, freed when collected; else a copy), or for strings an array
// of Buffers.
napi_value OutputData(Napi::Env env, AddonData* data, const OutputSlice& slice);
Napi::Array ShapeToJs(Napi::Env env, const std::vector<int64_t>& shape);
// An external ArrayBuffer over `bytes` at `data`, freed by `finalize(hint)` when collected. Where the runtime
// refuses external buffers (a V8 sandbox) it answers napi_no_external_buffers_allowed and remembers that in
// `addon`; on any status but napi_ok the caller still owns `hint` and copies instead (or throws).
napi_status CreateExternalBuffer(napi_env env, AddonData* addon, void* data, size_t bytes,
                                 napi_finalize finalize, void* hint, napi_value* buffer);

}  // namespace graphserve
