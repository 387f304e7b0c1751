#include "js_tensors.h"

#include <cstring>

#include "dtype.h"

namespace graphserve {
namespace {

napi_typedarray_type ArrayTypeOf(ONNXTensorElementDataType type) {
  switch (type) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8:
      return napi_int8_array;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT16:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16:
      return napi_uint16_array;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT16:
      return napi_int16_array;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT32:
      return napi_uint32_array;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32:
      return napi_int32_array;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT64:
      return napi_biguint64_array;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64:
      return napi_bigint64_array;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT:
      return napi_float32_array;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE:
      return napi_float64_array;
    default:  // BOOL, UINT8
      return napi_uint8_array;
  }
}

size_t ElementBytes(napi_typedarray_type type) {
  switch (type) {
    case napi_int16_array:
    case napi_uint16_array:
      return 2;
    case napi_int32_array:
    case napi_uint32_array:
    case napi_float32_array:
      return 4;
    case napi_float64_array:
    case napi_bigint64_array:
    case napi_biguint64_array:
      return 8;
    default:  // int8, uint8, uint8_clamped
      return 1;
  }
}

void ReleaseOwner(napi_env /*env*/, void* /*data*/, void* hint) {
  delete static_cast<std::shared_ptr<Ort::Value>*>(hint);
}

// An ArrayBuffer with the slice's bytes: external over ORT's memory, or a copy.
// Outputs smaller than this are copied into a plain ArrayBuffer: an external one costs a heap-allocated
// owner and a GC finalizer each, more than copying a few kilobytes (a tiny model's outputs, every request).
constexpr size_t kMinExternalBytes = 16 * 1024;

napi_value SliceBuffer(napi_env env, AddonData* addon, const OutputSlice& slice) {
  napi_value buffer = nullptr;
  if (slice.bytes >= kMinExternalBytes && addon->external_buffers_allowed) {
    auto* owner = new std::shared_ptr<Ort::Value>(slice.owner);
    napi_status s = CreateExternalBuffer(env, addon, const_cast<uint8_t*>(slice.data), slice.bytes,
                                         ReleaseOwner, owner, &buffer);
    if (s == napi_ok) return buffer;
    delete owner;
    if (s != napi_no_external_buffers_allowed) NAPI_THROW_IF_FAILED(env, s, nullptr);
  }
  void* copy = nullptr;
  NAPI_THROW_IF_FAILED(env, napi_create_arraybuffer(env, slice.bytes, &copy, &buffer), nullptr);
  if (slice.bytes > 0) std::memcpy(copy, slice.data, slice.bytes);
  return buffer;
}

Napi::Value StringsToJs(Napi::Env env, const std::vector<std::string>& strings) {
  Napi::Array out = Napi::Array::New(env, strings.size());
  for (size_t i = 0; i < strings.size(); ++i) {
    out.Set(i, Napi::Buffer<char>::Copy(env, strings[i].data(), strings[i].size()));
  }
  return out;
}

}  // namespace

napi_status CreateExternalBuffer(napi_env env, AddonData* addon, void* data, size_t bytes,
                                 napi_finalize finalize, void* hint, napi_value* buffer) {
  napi_status s = napi_create_external_arraybuffer(env, data, bytes, finalize, hint, buffer);
  if (s == napi_no_external_buffers_allowed) addon->external_buffers_allowed = false;
  return s;
}

Napi::Array ShapeToJs(Napi::Env env, const std::vector<int64_t>& shape) {
  Napi::Array out = Napi::Array::New(env, shape.size());
  for (size_t i = 0; i < shape.size(); ++i) out.Set(i, Napi::Number::New(env, static_cast<double>(shape[i])));
  return out;
}

InputData ReadInput(Napi::Array shape, Napi::Value data, Napi::Value* keep_alive) {
  InputData in;
  const uint32_t rank = shape.Length();
  in.shape.reserve(rank);
  for (uint32_t i = 0; i < rank; ++i) {
    in.shape.push_back(static_cast<int64_t>(shape.Get(i).As<Napi::Number>().Int64Value()));
  }
  if (data.IsArray()) {  // BYTES: Buffers (Uint8Arrays)
    Napi::Array items = data.As<Napi::Array>();
    in.strings.reserve(items.Length());
    for (uint32_t i = 0; i < items.Length(); ++i) {
      Napi::Uint8Array bytes = items.Get(i).As<Napi::Uint8Array>();
      in.strings.emplace_back(reinterpret_cast<const char*>(bytes.Data()), bytes.ByteLength());
    }
    return in;
  }
  // One call for what TypedArray's ArrayBuffer(), ByteOffset() and ByteLength() would ask for one by one
  // (this runs for every input of every request). `bytes` points at the first element already.
  napi_typedarray_type type;
  size_t length = 0;
  void* bytes = nullptr;
  NAPI_THROW_IF_FAILED(
      data.Env(), napi_get_typedarray_info(data.Env(), data, &type, &length, &bytes, nullptr, nullptr), in);
  in.data = static_cast<const uint8_t*>(bytes);
  in.bytes = length * ElementBytes(type);
  *keep_alive = data;
  return in;
}

napi_value OutputData(Napi::Env env, AddonData* addon, const OutputSlice& slice) {
  if (slice.type == ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING) return StringsToJs(env, slice.strings);
  const DtypeInfo* dtype = FindDtype(slice.type);
  napi_value buffer = SliceBuffer(env, addon, slice);
  napi_value array = nullptr;
  const size_t length = dtype != nullptr && dtype->size > 0 ? slice.bytes / dtype->size : 0;
  NAPI_THROW_IF_FAILED(env, napi_create_typedarray(env, ArrayTypeOf(slice.type), length, buffer, 0, &array),
                       nullptr);
  return array;
}

}  // namespace graphserve
