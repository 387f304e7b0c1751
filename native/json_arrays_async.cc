#include "json_arrays_async.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "addon_data.h"
#include "js_tensors.h"
#include "json_numbers.h"

namespace graphserve {
namespace {

constexpr char kKey[] = "\"data\"";
constexpr size_t kKeyLength = sizeof(kKey) - 1;

size_t SkipSpace(const uint8_t* text, size_t length, size_t i) {
  while (i < length && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t')) ++i;
  return i;
}

// Position of the next `"data"` at or after `from`, or `length` when there is none.
size_t FindKey(const uint8_t* text, size_t length, size_t from) {
  const uint8_t* end = text + length;
  const uint8_t* found = std::search(text + std::min(from, length), end, kKey, kKey + kKeyLength);
  return static_cast<size_t>(found - text);
}

class ExtractWorker : public Napi::AsyncWorker {
 public:
  ExtractWorker(Napi::Env env, Napi::Uint8Array text)
      : Napi::AsyncWorker(env, "graphserve:extractJsonNumberArrays"),
        deferred_(env),
        text_ref_(Napi::Persistent(text)),
        data_(text.Data()),
        length_(text.ByteLength()) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override { ok_ = ExtractJsonNumberArrays(data_, length_, &arrays_); }

  void OnOK() override {
    Napi::Env env = Env();
    text_ref_.Reset();
    if (!ok_) {
      deferred_.Resolve(env.Null());
      return;
    }
    Napi::Array out = Napi::Array::New(env, arrays_.size());
    for (size_t i = 0; i < arrays_.size(); ++i) out.Set(i, ToJs(env, &arrays_[i]));
    deferred_.Resolve(out);
  }

  void OnError(const Napi::Error& error) override {
    text_ref_.Reset();
    deferred_.Reject(error.Value());
  }

 private:
  static Napi::Object ToJs(Napi::Env env, JsonNumberArray* found) {
    Napi::Object item = Napi::Object::New(env);
    item.Set("start", Napi::Number::New(env, static_cast<double>(found->start)));
    item.Set("end", Napi::Number::New(env, static_cast<double>(found->end)));
    if (found->bits == 64) {
      const size_t count = found->values.size();
      item.Set("values", Napi::Float64Array::New(env, count, OwnedBuffer(env, &found->values), 0));
    } else {
      const size_t count = found->values32.size();
      item.Set("values32", Napi::Float32Array::New(env, count, OwnedBuffer(env, &found->values32), 0));
    }
    item.Set("dims", ShapeToJs(env, found->dims));
    return item;
  }

  Napi::Promise::Deferred deferred_;
  Napi::Reference<Napi::Uint8Array> text_ref_;
  const uint8_t* data_;
  size_t length_;
  bool ok_ = false;
  std::vector<JsonNumberArray> arrays_;
};

}  // namespace

bool ExtractJsonNumberArrays(const uint8_t* text, size_t length, std::vector<JsonNumberArray>* arrays) {
  size_t pos = FindKey(text, length, 0);
  while (pos < length) {
    size_t i = SkipSpace(text, length, pos + kKeyLength);
    if (i < length && text[i] == ':') {
      i = SkipSpace(text, length, i + 1);
      if (i < length && text[i] == '[') {
        JsonNumberArray found;
        found.start = i;
        found.bits = GuessJsonNumberBits(text, i);
        const bool read = found.bits == 64
                              ? ParseJsonNumbers(text, length, i, &found.values, &found.dims, &found.end)
                              : ParseJsonNumbers(text, length, i, &found.values32, &found.dims, &found.end);
        if (!read) return false;
        i = found.end;
        arrays->push_back(std::move(found));
      }
    }
    pos = FindKey(text, length, i);
  }
  return true;
}

Napi::Value ExtractJsonNumberArraysJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    Napi::TypeError::New(env, "extractJsonNumberArrays: text must be a Uint8Array")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto* worker = new ExtractWorker(env, info[0].As<Napi::Uint8Array>());
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace graphserve
