#include "batch_runner.h"

#include <cstring>

#include "dtype.h"

namespace graphserve {
namespace {

uint8_t kEmpty[8];  // a valid address for zero-byte tensors

size_t ElementCount(const std::vector<int64_t>& shape) {
  size_t n = 1;
  for (int64_t d : shape) n *= static_cast<size_t>(d);
  return n;
}

Ort::Value StringTensor(const std::vector<const std::string*>& strings, const std::vector<int64_t>& shape) {
  Ort::AllocatorWithDefaultOptions allocator;
  Ort::Value value =
      Ort::Value::CreateTensor(allocator, shape.data(), shape.size(), ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING);
  // Each element is copied with its length, so bytes after an embedded NUL are kept (FillStringTensor
  // takes C strings and would cut them there).
  for (size_t i = 0; i < strings.size(); ++i) {
    const std::string& s = *strings[i];
    char* buffer = value.GetResizedStringTensorElementBuffer(i, s.size());
    if (!s.empty()) std::memcpy(buffer, s.data(), s.size());
  }
  return value;
}

// GetStringTensorElement reads each element with its length (embedded NUL bytes included).
std::vector<std::string> ReadStrings(const Ort::Value& value, size_t first, size_t count) {
  std::vector<std::string> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) out.push_back(value.GetStringTensorElement(first + i));
  return out;
}

}  // namespace

BatchRunner::BatchRunner(const Model& model, int64_t pad_to)
    : model_(model),
      pad_to_(pad_to),
      memory_info_(Ort::MemoryInfo::CreateCpu(OrtDeviceAllocator, OrtMemTypeDefault)),
      staging_(model.inputs().size()) {}

Ort::Value BatchRunner::GatherInput(size_t index, const RequestList& batch, int64_t rows, int64_t run_rows) {
  const IoInfo& io = model_.inputs()[index];
  std::vector<int64_t> shape = batch.front()->inputs[index].shape;
  if (batch.size() > 1 || run_rows > rows) shape[0] = run_rows;
  if (io.type == ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING) {
    static const std::string kEmptyString;
    std::vector<const std::string*> strings;
    for (const auto& r : batch) {
      for (const auto& s : r->inputs[index].strings) strings.push_back(&s);
    }
    const size_t per_row = rows > 0 ? strings.size() / static_cast<size_t>(rows) : 0;
    strings.resize(per_row * static_cast<size_t>(run_rows), &kEmptyString);
    return StringTensor(strings, shape);
  }
  if (batch.size() == 1 && run_rows == rows) {  // in place: no copy for a batch of one
    const InputData& in = batch.front()->inputs[index];
    void* data = in.bytes > 0 ? const_cast<uint8_t*>(in.data) : kEmpty;
    return Ort::Value::CreateTensor(memory_info_, data, in.bytes, shape.data(), shape.size(), io.type);
  }
  size_t used = 0;
  for (const auto& r : batch) used += r->inputs[index].bytes;
  const size_t total = rows > 0 ? used / static_cast<size_t>(rows) * static_cast<size_t>(run_rows) : used;
  std::vector<uint8_t>& buffer = staging_[index];
  if (buffer.size() < total) buffer.resize(total);
  size_t offset = 0;
  for (const auto& r : batch) {
    const InputData& in = r->inputs[index];
    if (in.bytes > 0) std::memcpy(buffer.data() + offset, in.data, in.bytes);
    offset += in.bytes;
  }
  if (total > used) std::memset(buffer.data() + used, 0, total - used);  // the padding rows
  void* data = total > 0 ? buffer.data() : kEmpty;
  return Ort::Value::CreateTensor(memory_info_, data, total, shape.data(), shape.size(), io.type);
}

Status BatchRunner::Scatter(std::vector<Ort::Value>& outputs, RequestList& batch, int64_t run_rows) {
  for (auto& r : batch) r->outputs.resize(outputs.size());
  for (size_t o = 0; o < outputs.size(); ++o) {
    auto owner = std::make_shared<Ort::Value>(std::move(outputs[o]));
    auto info = owner->GetTensorTypeAndShapeInfo();
    const ONNXTensorElementDataType type = info.GetElementType();
    const std::vector<int64_t> shape = info.GetShape();
    const size_t count = ElementCount(shape);
    const DtypeInfo* dtype = FindDtype(type);
    if (dtype == nullptr) {
      return Status(StatusCode::kModelError, "output '" + model_.outputs()[o].name + "' has type " +
                                                 OnnxTypeName(type) + ", which has no OIP datatype");
    }
    const bool split = batch.size() > 1 || batch.front()->rows != run_rows;
    if (split && (shape.empty() || shape[0] != run_rows)) {
      return Status(StatusCode::kModelError, "cannot split output '" + model_.outputs()[o].name +
                                                 "' by rows: its first dimension is not the batch size");
    }
    const size_t per_row = split ? count / static_cast<size_t>(run_rows) : count;
    size_t first = 0;
    for (auto& r : batch) {
      OutputSlice& slice = r->outputs[o];
      slice.type = type;
      slice.shape = shape;
      const size_t elements = split ? per_row * static_cast<size_t>(r->rows) : count;
      if (split) slice.shape[0] = r->rows;
      if (type == ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING) {
        slice.strings = ReadStrings(*owner, first, elements);
      } else {
        slice.owner = owner;
        slice.data = static_cast<const uint8_t*>(owner->GetTensorRawData()) + first * dtype->size;
        slice.bytes = elements * dtype->size;
      }
      first += elements;
    }
  }
  return Status::Ok();
}

void BatchRunner::Run(RequestList& batch) {
  int64_t rows = 0;
  for (const auto& r : batch) rows += r->rows;
  const int64_t run_rows = rows < pad_to_ ? pad_to_ : rows;
  last_padded_ = run_rows - rows;
  Status status;
  try {
    std::vector<Ort::Value> inputs;
    inputs.reserve(model_.inputs().size());
    for (size_t i = 0; i < model_.inputs().size(); ++i)
      inputs.push_back(GatherInput(i, batch, rows, run_rows));
    std::vector<Ort::Value> outputs;
    status = model_.Run(inputs, &outputs);
    if (status.ok()) status = Scatter(outputs, batch, run_rows);
  } catch (const Ort::Exception& e) {
    status = Status(StatusCode::kModelError, std::string("inference failed: ") + e.what());
  } catch (const std::bad_alloc&) {
    status = Status(StatusCode::kModelError, "inference failed: out of memory");
  }
  if (!status.ok()) {
    for (auto& r : batch) {
      r->status = status;
      r->outputs.clear();
    }
  }
}

}  // namespace graphserve
