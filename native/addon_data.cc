#include "addon_data.h"

namespace graphserve {
namespace {

struct ErrorName {
  StatusCode code;
  const char* name;
};

constexpr ErrorName kErrorNames[] = {
    {StatusCode::kInvalidArgument, "InvalidTensorError"},
    {StatusCode::kInvalidOption, "InvalidOptionError"},
    {StatusCode::kQueueFull, "QueueFullError"},
    {StatusCode::kTimeout, "TimeoutError"},
    {StatusCode::kDisposed, "DisposedError"},
    {StatusCode::kModelError, "ModelError"},
    {StatusCode::kLoadError, "ModelLoadError"},
    {StatusCode::kProviderError, "ProviderError"},
    {StatusCode::kCancelled, "CancelledError"},
};

}  // namespace

void AddonData::SetErrorClasses(Napi::Object errors) {
  for (const auto& e : kErrorNames) {
    Napi::Value ctor = errors.Get(e.name);
    if (!ctor.IsFunction()) {
      throw Napi::TypeError::New(errors.Env(), std::string("init: errors.") + e.name + " must be a class");
    }
    errors_[e.code] = Napi::Persistent(ctor.As<Napi::Function>());
  }
  initialised_ = true;
}

Napi::Value AddonData::MakeError(Napi::Env env, const Status& status) const {
  auto it = errors_.find(status.code());
  if (!initialised_ || it == errors_.end()) return Napi::Error::New(env, status.message()).Value();
  return it->second.New({Napi::String::New(env, status.message())});
}

}  // namespace graphserve
