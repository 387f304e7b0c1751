#include "dtype.h"

namespace graphserve {
namespace {

constexpr DtypeInfo kDtypes[] = {
    {ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL, "BOOL", "bool", 1},
    {ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8, "UINT8", "uint8", 1},
    {ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT16, "UINT16", "uint16", 2},
    {ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT32, "UINT32", "uint32", 4},
    {ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT64, "UINT64", "uint64", 8},
    {ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8, "INT8", "int8", 1},
    {ONNX_TENSOR_ELEMENT_DATA_TYPE_INT16, "INT16", "int16", 2},
    {ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32, "INT32", "int32", 4},
    {ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64, "INT64", "int64", 8},
    {ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16, "FP16", "float16", 2},
    {ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16, "BF16", "bfloat16", 2},
    {ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, "FP32", "float", 4},
    {ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE, "FP64", "double", 8},
    {ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING, "BYTES", "string", 0},
};

}  // namespace

const DtypeInfo* FindDtype(ONNXTensorElementDataType type) {
  for (const auto& d : kDtypes) {
    if (d.onnx == type) return &d;
  }
  return nullptr;
}

const DtypeInfo* FindDtype(const std::string& oip_name) {
  for (const auto& d : kDtypes) {
    if (oip_name == d.oip) return &d;
  }
  return nullptr;
}

std::string OnnxTypeName(ONNXTensorElementDataType type) {
  if (const DtypeInfo* d = FindDtype(type)) return d->onnx_name;
  switch (type) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_COMPLEX64:
      return "complex64";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_COMPLEX128:
      return "complex128";
    default:
      return "element type " + std::to_string(static_cast<int>(type));
  }
}

}  // namespace graphserve
