// Conversions between JS tensors and the engine's structs. JS thread only. Inputs arrive already validated by
// bindings/session.ts; these functions only assert.
#pragma once

#include <napi.h>

#include <cstring>
#include <utility>
#include <vector>

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

template <typename T>
void DeleteVector(napi_env /*env*/, void* /*data*/, void* hint) {
  delete static_cast<std::vector<T>*>(hint);
}

// An ArrayBuffer holding `values`: external over the vector's memory, which it then owns (no copy), or a
// copy where the runtime refuses external buffers (a V8 sandbox). `values` is left empty. A vector with more
// than a quarter of its capacity unused is shrunk first: V8 is told of the buffer's length, not that room.
template <typename T>
Napi::ArrayBuffer OwnedBuffer(Napi::Env env, std::vector<T>* values) {
  AddonData* addon = AddonData::Get(env);
  const size_t bytes = values->size() * sizeof(T);
  if (bytes > 0 && addon->external_buffers_allowed) {
    if (values->capacity() - values->size() > values->size() / 4) values->shrink_to_fit();
    auto* owner = new std::vector<T>(std::move(*values));
    napi_value buffer = nullptr;
    napi_status s = CreateExternalBuffer(env, addon, owner->data(), bytes, DeleteVector<T>, owner, &buffer);
    if (s == napi_ok) return Napi::ArrayBuffer(env, buffer);
    *values = std::move(*owner);
    delete owner;
    if (s != napi_no_external_buffers_allowed) NAPI_THROW_IF_FAILED(env, s, Napi::ArrayBuffer());
  }
  Napi::ArrayBuffer copy = Napi::ArrayBuffer::New(env, bytes);
  if (bytes > 0) std::memcpy(copy.Data(), values->data(), bytes);
  std::vector<T>().swap(*values);
  return copy;
}

}  // namespace graphserve
