#include "session_wrap.h"

#include "dtype.h"
#include "js_tensors.h"

namespace graphserve {
namespace {

// Joins the engine's threads off the JS thread (a running batch may take a while).
class ShutdownWorker : public Napi::AsyncWorker {
 public:
  ShutdownWorker(Napi::Env env, Engine* engine, std::function<void()> done)
      : Napi::AsyncWorker(env, "graphserve:dispose"), engine_(engine), done_(std::move(done)) {}
  void Execute() override { engine_->Shutdown(); }
  void OnOK() override { done_(); }

 private:
  Engine* engine_;
  std::function<void()> done_;
};

std::string Signature(const std::vector<InputData>& inputs, bool batching) {
  std::string sig;
  for (const auto& in : inputs) {
    for (size_t d = batching ? 1 : 0; d < in.shape.size(); ++d) sig += std::to_string(in.shape[d]) + ",";
    sig += ";";
  }
  return sig;
}

Napi::Array IoToJs(Napi::Env env, const std::vector<IoInfo>& ios);

}  // namespace

Napi::Function SessionWrap::Define(Napi::Env env) {
  return DefineClass(
      env, "NativeSession",
      {InstanceMethod("run", &SessionWrap::Run), InstanceMethod("wake", &SessionWrap::Wake),
       InstanceMethod("cancel", &SessionWrap::Cancel), InstanceMethod("stats", &SessionWrap::Stats),
       InstanceMethod("dispose", &SessionWrap::Dispose)});
}

SessionWrap::SessionWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SessionWrap>(info) {
  Napi::Env env = info.Env();
  engine_.reset(info[0].As<Napi::External<Engine>>().Data());
  Napi::Object self = info.This().As<Napi::Object>();
  const Model& model = engine_->model();
  self.Set("inputs", IoToJs(env, model.inputs()));
  self.Set("outputs", IoToJs(env, model.outputs()));
  Napi::Array providers = Napi::Array::New(env, model.providers().size());
  for (size_t i = 0; i < model.providers().size(); ++i) providers.Set(i, model.providers()[i]);
  self.Set("providers", providers);
  self.Set("warnings", info[1]);
  self.Set("batching", Napi::Boolean::New(env, engine_->batching()));
  tsfn_ = Tsfn::New(env, "graphserve:completions", 0, 1, this);
  tsfn_.Unref(env);
  engine_->Start([this](RequestList requests) { Post(std::move(requests)); });
  cleanup_hook_ = env.AddCleanupHook(std::function<void()>([this] { Teardown(); }));
}

SessionWrap::~SessionWrap() {
  // Collected: nothing is pending (in-flight requests hold a reference to this object).
  if (!tearing_down_) {
    cleanup_hook_.Remove(Env());
    tearing_down_ = true;
    engine_->Shutdown();
    if (!tsfn_released_) tsfn_.Release();
  }
}

void SessionWrap::Teardown() {
  // The environment (a worker) is exiting: stop the threads; completions still queued are dropped
  // by CallJs (env is gone), and their JS handles die with the environment.
  tearing_down_ = true;
  engine_->Shutdown();
  for (auto& entry : pending_) {
    for (auto& ref : entry.second.borrowed) ref.SuppressDestruct();
  }
}

void SessionWrap::Post(RequestList requests) {
  if (tearing_down_) return;
  auto* completion = new Completion{std::move(requests)};
  if (tsfn_.NonBlockingCall(completion) != napi_ok) delete completion;
}

void SessionWrap::CallJs(Napi::Env env, Napi::Function, SessionWrap* self, Completion* completion) {
  std::unique_ptr<Completion> owned(completion);
  if (env == nullptr || self->tearing_down_) return;
  Napi::HandleScope scope(env);
  for (auto& request : owned->requests) self->Settle(env, std::move(request));
  self->MaybeFinishDispose(env);
}

void SessionWrap::Settle(Napi::Env env, RequestPtr request) {
  auto it = pending_.find(request->id);
  if (it == pending_.end()) return;
  Pending pending = std::move(it->second);
  pending_.erase(it);
  Track(env, -1);
  if (!request->status.ok()) {
    pending.deferred.Reject(AddonData::Get(env)->MakeError(env, request->status));
    return;
  }
  // [shape0, data0, shape1, data1, …] in the model's output order: bindings/session.ts names them (no
  // object built here: a property set by name costs more in C++ than the object literal does in JS).
  AddonData* addon = AddonData::Get(env);
  Napi::Array result = Napi::Array::New(env, 2 * request->outputs.size());
  try {
    for (size_t o = 0; o < request->outputs.size(); ++o) {
      const OutputSlice& slice = request->outputs[o];
      result.Set(2 * o, ShapeToJs(env, slice.shape));
      result.Set(2 * o + 1, Napi::Value(env, OutputData(env, addon, slice)));
    }
  } catch (const Napi::Error& e) {
    pending.deferred.Reject(e.Value());
    return;
  }
  pending.deferred.Resolve(result);
}

void SessionWrap::Track(Napi::Env env, int delta) {
  if (delta > 0 && pending_.size() == 1) {
    tsfn_.Ref(env);
    Ref();
  } else if (delta < 0 && pending_.empty()) {
    tsfn_.Unref(env);
    Unref();
  }
}

Napi::Value SessionWrap::Run(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array tensors = info[0].As<Napi::Array>();
  const double timeout_ms = info[1].As<Napi::Number>().DoubleValue();
  auto request = std::make_unique<Request>();
  request->id = static_cast<uint64_t>(info[2].As<Napi::Number>().Int64Value());
  Pending pending{Napi::Promise::Deferred::New(env), {}};
  for (uint32_t i = 0; i + 1 < tensors.Length(); i += 2) {  // [shape0, data0, shape1, data1, …]
    Napi::Value keep_alive;
    request->inputs.push_back(ReadInput(tensors.Get(i).As<Napi::Array>(), tensors.Get(i + 1), &keep_alive));
    if (!keep_alive.IsEmpty()) pending.borrowed.push_back(Napi::Persistent(keep_alive));
  }
  const bool batching = engine_->batching();
  request->rows = batching && !request->inputs.empty() ? request->inputs[0].shape[0] : 1;
  request->signature = Signature(request->inputs, batching);
  if (timeout_ms > 0) {
    request->deadline = Clock::now() + std::chrono::microseconds(static_cast<int64_t>(timeout_ms * 1000));
  }
  const uint64_t id = request->id;
  Napi::Promise promise = pending.deferred.Promise();
  Status status = disposing_ ? Status(StatusCode::kDisposed, "the session is disposed") : Status::Ok();
  if (status.ok() && pending_.count(id) > 0) {
    status =
        Status(StatusCode::kInvalidArgument, "request id " + std::to_string(id) + " is already in flight");
  }
  if (status.ok()) {
    // Registered before the enqueue: the completion may arrive before Enqueue returns.
    pending_.emplace(id, std::move(pending));
    Track(env, +1);
    const bool defer_wake = info.Length() > 3 && info[3].IsBoolean() && info[3].As<Napi::Boolean>().Value();
    status = engine_->Enqueue(&request, !defer_wake);
    if (!status.ok()) {
      pending = std::move(pending_.at(id));
      pending_.erase(id);
      Track(env, -1);
    }
  }
  if (!status.ok()) pending.deferred.Reject(AddonData::Get(env)->MakeError(env, status));
  return promise;
}

Napi::Value SessionWrap::Wake(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequestList done = engine_->RunInline();
  const size_t settled = done.size();
  for (auto& request : done) Settle(env, std::move(request));
  return Napi::Number::New(env, static_cast<double>(settled));
}

Napi::Value SessionWrap::Cancel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto id = static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value());
  RequestPtr request;
  if (!engine_->Cancel(id, &request)) return Napi::Boolean::New(env, false);
  request->status = Status(StatusCode::kCancelled, "the request was cancelled while queued");
  Settle(env, std::move(request));
  MaybeFinishDispose(env);
  return Napi::Boolean::New(env, true);
}

Napi::Value SessionWrap::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EngineStats s = engine_->stats();
  Napi::Object out = Napi::Object::New(env);
  auto num = [&](const char* key, double v) { out.Set(key, Napi::Number::New(env, v)); };
  num("requests", s.requests);
  num("batches", s.batches);
  num("inlineBatches", s.inline_batches);
  num("failed", s.failed);
  num("timedOut", s.timed_out);
  num("rejected", s.rejected);
  num("cancelled", s.cancelled);
  num("paddedRows", s.padded_rows);
  num("queued", s.queued);
  num("inFlight", s.in_flight);
  num("queueMicros", s.queue_micros);
  num("computeMicros", s.compute_micros);
  num("batchCap", static_cast<double>(s.batch_cap));
  Napi::Object sizes = Napi::Object::New(env);
  for (const auto& [rows, runs] : s.batch_sizes)
    sizes.Set(std::to_string(rows), Napi::Number::New(env, runs));
  out.Set("batchSizes", sizes);
  out.Set("zeroCopyOutputs", Napi::Boolean::New(env, AddonData::Get(env)->external_buffers_allowed));
  return out;
}

Napi::Value SessionWrap::Dispose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (dispose_deferred_) return dispose_deferred_->Promise();
  dispose_deferred_ = std::make_unique<Napi::Promise::Deferred>(env);
  disposing_ = true;
  Ref();  // alive until the engine has stopped
  auto* worker = new ShutdownWorker(env, engine_.get(), [this, env] {
    engine_stopped_ = true;
    Unref();
    MaybeFinishDispose(env);
  });
  worker->Queue();
  return dispose_deferred_->Promise();
}

void SessionWrap::MaybeFinishDispose(Napi::Env env) {
  // Done when the threads are joined and every request they completed has been settled.
  if (!engine_stopped_ || !pending_.empty() || !dispose_deferred_) return;
  if (!tsfn_released_) {
    tsfn_released_ = true;
    tsfn_.Release();
  }
  dispose_deferred_->Resolve(env.Undefined());
}

namespace {

Napi::Array IoToJs(Napi::Env env, const std::vector<IoInfo>& ios) {
  Napi::Array out = Napi::Array::New(env, ios.size());
  for (size_t i = 0; i < ios.size(); ++i) {
    const DtypeInfo* dtype = FindDtype(ios[i].type);
    Napi::Object io = Napi::Object::New(env);
    io.Set("name", ios[i].name);
    io.Set("datatype", dtype != nullptr ? dtype->oip : "UNSUPPORTED");
    io.Set("onnxType", OnnxTypeName(ios[i].type));
    io.Set("shape", ShapeToJs(env, ios[i].shape));
    out.Set(i, io);
  }
  return out;
}

}  // namespace

}  // namespace graphserve
