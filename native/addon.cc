// Module entry: init({errors}) and createSession(model, options). Context-aware: every JS
// environment (main thread, each worker) gets its own AddonData; ORT's environment is process-wide.
#include <napi.h>

#include <algorithm>
#include <vector>

#include "addon_data.h"
#include "batch_tuner.h"
#include "create_session.h"
#include "js_tensors.h"
#include "json_arrays_async.h"
#include "json_numbers.h"
#include "ort_env.h"
#include "session_wrap.h"

namespace graphserve {
namespace {

Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object config = info[0].As<Napi::Object>();
  AddonData::Get(env)->SetErrorClasses(config.Get("errors").As<Napi::Object>());
  Status status = InitOrtApi();
  if (!status.ok()) throw Napi::Error::New(env, status.message());
  OrtEnvironment();
  Napi::Object out = Napi::Object::New(env);
  out.Set("ortVersion", OrtVersionString());
  out.Set("apiVersion", Napi::Number::New(env, ORT_API_VERSION));
  return out;
}

// The most numbers parseJsonNumbers reserves room for before reading (8 MiB); beyond, the vector grows.
constexpr size_t kMaxReservedNumbers = size_t{1} << 20;

Napi::Value SetExternalBuffersAllowed(const Napi::CallbackInfo& info) {
  AddonData::Get(info.Env())->external_buffers_allowed = info[0].As<Napi::Boolean>();
  return info.Env().Undefined();
}

// The numbers of one array read by ParseJsonNumbers into `T`, with its nesting and end, as the JS object
// {<key>: <TypedArray over the vector's memory>, dims, end}; null when it is not an array of numbers.
template <typename T, typename TypedArray>
Napi::Value ReadJsonNumbers(Napi::Env env, Napi::Uint8Array text, size_t start, const char* key) {
  std::vector<T> values;
  // Room for the numbers of a typical tensor text (6 bytes a number: "-0.366,") up to kMaxReservedNumbers, so
  // that the vector is not reallocated while reading; its memory then becomes the typed array's
  // (OwnedBuffer).
  values.reserve(std::min((text.ByteLength() - start) / 6, kMaxReservedNumbers));
  std::vector<int64_t> dims;
  size_t end = 0;
  if (!ParseJsonNumbers(text.Data(), text.ByteLength(), start, &values, &dims, &end)) return env.Null();
  const size_t count = values.size();
  Napi::Object out = Napi::Object::New(env);
  out.Set(key, TypedArray::New(env, count, OwnedBuffer(env, &values), 0));
  out.Set("dims", ShapeToJs(env, dims));
  out.Set("end", Napi::Number::New(env, static_cast<double>(end)));
  return out;
}

// parseJsonNumbers(text, start, bits?): the array at text[start] as {values32: Float32Array} (bits 32, the
// usual FP32 tensor: no doubles kept) or {values: Float64Array} (bits 64), with dims and end; null when it is
// not an array of numbers. Without `bits`, GuessJsonNumberBits chooses.
Napi::Value ParseJsonNumbersJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Uint8Array text = info[0].As<Napi::Uint8Array>();
  const size_t start = static_cast<size_t>(info[1].As<Napi::Number>().Int64Value());
  if (start >= text.ByteLength() || text.Data()[start] != '[') return env.Null();
  const int64_t bits = info.Length() < 3 || info[2].IsUndefined() ? GuessJsonNumberBits(text.Data(), start)
                                                                  : info[2].As<Napi::Number>().Int64Value();
  if (bits != 32 && bits != 64) {
    Napi::RangeError::New(env, "parseJsonNumbers: bits must be 32 or 64").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (bits == 32) return ReadJsonNumbers<float, Napi::Float32Array>(env, text, start, "values32");
  return ReadJsonNumbers<double, Napi::Float64Array>(env, text, start, "values");
}

// traceBatchTuner(maxBatchSize, microsPerRow: number[], queued: number[], rowsPerRequest): number[] — the
// caps a BatchTuner gives for one run per entry of `queued` (the rows queued when that batch forms), when
// requests have `rowsPerRequest` rows and a run of r rows costs microsPerRow[r] µs per row: a run takes the
// whole requests that fit the cap, and the oldest one even when it alone is over it (as BatchQueue does).
// The tuner's decisions made visible to the tests, with no clock involved.
Napi::Value TraceBatchTuner(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t max_batch_size = info[0].As<Napi::Number>().Int64Value();
  Napi::Array cost = info[1].As<Napi::Array>();
  Napi::Array queued = info[2].As<Napi::Array>();
  const int64_t per_request = info[3].As<Napi::Number>().Int64Value();
  if (max_batch_size < 1 || cost.Length() <= static_cast<uint32_t>(max_batch_size) || per_request < 1) {
    throw Napi::RangeError::New(
        env, "traceBatchTuner: maxBatchSize >= 1, microsPerRow[0..maxBatchSize], rows >= 1");
  }
  BatchTuner tuner(max_batch_size, true);
  Napi::Array caps = Napi::Array::New(env, queued.Length());
  for (uint32_t i = 0; i < queued.Length(); ++i) {
    const int64_t cap = tuner.Cap();
    const int64_t waiting = queued.Get(i).As<Napi::Number>().Int64Value();
    const int64_t fit = std::min(cap, waiting) / per_request * per_request;
    const int64_t rows = std::min(std::max(fit, per_request), max_batch_size);
    const double per_row =
        std::max(0.0, cost.Get(static_cast<uint32_t>(rows)).As<Napi::Number>().DoubleValue());
    tuner.Record(rows, static_cast<uint64_t>(per_row * static_cast<double>(rows)));
    caps.Set(i, Napi::Number::New(env, static_cast<double>(cap)));
  }
  return caps;
}

Napi::Object Register(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  env.SetInstanceData(data);
  data->session_constructor = Napi::Persistent(SessionWrap::Define(env));
  exports.Set("init", Napi::Function::New(env, Init, "init"));
  exports.Set("createSession", Napi::Function::New(env, CreateSession, "createSession"));
  exports.Set("setExternalBuffersAllowed", Napi::Function::New(env, SetExternalBuffersAllowed));
  exports.Set("parseJsonNumbers", Napi::Function::New(env, ParseJsonNumbersJs, "parseJsonNumbers"));
  exports.Set("traceBatchTuner", Napi::Function::New(env, TraceBatchTuner, "traceBatchTuner"));
  exports.Set("extractJsonNumberArrays",
              Napi::Function::New(env, ExtractJsonNumberArraysJs, "extractJsonNumberArrays"));
  return exports;
}

}  // namespace
}  // namespace graphserve

static Napi::Object RegisterGraphserve(Napi::Env env, Napi::Object exports) {
  return graphserve::Register(env, exports);
}

NODE_API_MODULE(graphserve, RegisterGraphserve)
