// Element types: ONNX's enum, the Open Inference Protocol's names, and sizes.
#pragma once

#include <onnxruntime_cxx_api.h>

#include <cstddef>
#include <string>

namespace graphserve {

struct DtypeInfo {
  ONNXTensorElementDataType onnx;
  const char* oip;        // OIP datatype name, e.g. "FP32"
  const char* onnx_name;  // ONNX name, e.g. "float"
  size_t size;            // bytes per element; 0 for strings
};

// nullptr when the type has no OIP equivalent (complex, FP8, INT4 …).
const DtypeInfo* FindDtype(ONNXTensorElementDataType type);
const DtypeInfo* FindDtype(const std::string& oip_name);
// ONNX name for any element type, e.g. "complex64"; "unknown" when unknown.
std::string OnnxTypeName(ONNXTensorElementDataType type);

}  // namespace graphserve
