// SessionWrap: the JS object of one engine (the `NativeSession` of bindings/loader.ts).
// Threads: run(), stats(), dispose() and every promise settle on the JS thread. Engine threads hand
// completed requests back through a typed thread-safe function. JS handles of in-flight requests
// (deferreds, borrowed input arrays) live here, keyed by request id, and are released on the JS thread.
#pragma once

#include <napi.h>

#include <memory>
#include <unordered_map>

#include "addon_data.h"
#include "engine.h"

namespace graphserve {

class SessionWrap : public Napi::ObjectWrap<SessionWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  // info[0]: External<Engine> (ownership passes to the wrap), info[1]: warnings array.
  explicit SessionWrap(const Napi::CallbackInfo& info);
  ~SessionWrap() override;

 private:
  struct Completion {
    RequestList requests;
  };
  struct Pending {
    Napi::Promise::Deferred deferred;
    std::vector<Napi::Reference<Napi::Value>> borrowed;
  };
  static void CallJs(Napi::Env env, Napi::Function, SessionWrap* self, Completion* completion);
  using Tsfn = Napi::TypedThreadSafeFunction<SessionWrap, Completion, CallJs>;

  // run(tensors, timeoutMs, id, deferWake): tensors is [shape0, data0, shape1, data1, …] in the model's
  // input order; id is the caller's, unique among this session's requests in
  // flight. With deferWake true the request waits in the queue until wake() (or a runner that is busy
  // anyway takes it): requests queued in one turn of the event loop then go as one batch.
  Napi::Value Run(const Napi::CallbackInfo& info);
  // wake(): wakes a runner for the requests queued with deferWake, or runs them on the JS thread
  // (Engine::RunInline); returns how many requests it settled here (0 = a runner woken).
  Napi::Value Wake(const Napi::CallbackInfo& info);
  // cancel(id) → true when the request was still queued: its promise rejects with CancelledError.
  Napi::Value Cancel(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  void Post(RequestList requests);                 // engine threads
  void Settle(Napi::Env env, RequestPtr request);  // JS thread
  void Track(Napi::Env env, int delta);            // keeps the loop and this object alive while busy
  void MaybeFinishDispose(Napi::Env env);
  void Teardown();  // environment is exiting

  std::unique_ptr<Engine> engine_;
  Tsfn tsfn_;
  std::unordered_map<uint64_t, Pending> pending_;
  bool disposing_ = false;
  bool engine_stopped_ = false;
  bool tsfn_released_ = false;
  std::atomic<bool> tearing_down_{false};
  std::unique_ptr<Napi::Promise::Deferred> dispose_deferred_;
  Napi::Env::CleanupHook<std::function<void()>> cleanup_hook_;
};

}  // namespace graphserve
