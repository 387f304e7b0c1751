// Module entry: init({errors}) and createSession(model, options). Context-aware: every JS
// environment (main thread, each worker) gets its own AddonData; ORT's environment is process-wide.
#include <napi.h>

#include "addon_data.h"
#include "create_session.h"
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

Napi::Value SetExternalBuffersAllowed(const Napi::CallbackInfo& info) {
  AddonData::Get(info.Env())->external_buffers_allowed = info[0].As<Napi::Boolean>();
  return info.Env().Undefined();
}

Napi::Object Register(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  env.SetInstanceData(data);
  data->session_constructor = Napi::Persistent(SessionWrap::Define(env));
  exports.Set("init", Napi::Function::New(env, Init, "init"));
  exports.Set("createSession", Napi::Function::New(env, CreateSession, "createSession"));
  exports.Set("setExternalBuffersAllowed", Napi::Function::New(env, SetExternalBuffersAllowed));
  return exports;
}

}  // namespace
}  // namespace graphserve

static Napi::Object RegisterGraphserve(Napi::Env env, Napi::Object exports) {
  return graphserve::Register(env, exports);
}

NODE_API_MODULE(graphserve, RegisterGraphserve)
