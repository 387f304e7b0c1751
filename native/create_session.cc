#include "create_session.h"

#include "addon_data.h"
#include "engine.h"

namespace graphserve {
namespace {

int64_t Int(Napi::Object o, const char* key) { return o.Get(key).As<Napi::Number>().Int64Value(); }

BatchConfig ParseBatching(Napi::Value value) {
  BatchConfig batch;
  if (!value.IsObject()) {
    batch.enabled = false;
    return batch;
  }
  Napi::Object b = value.As<Napi::Object>();
  batch.max_batch_size = Int(b, "maxBatchSize");
  batch.max_queue_delay_micros = Int(b, "maxQueueDelayMicros");
  batch.max_queue_size = Int(b, "maxQueueSize");
  const std::string pad = b.Get("padBatches").ToString();
  batch.pad = pad == "true"    ? BatchConfig::Pad::kYes
              : pad == "false" ? BatchConfig::Pad::kNo
                               : BatchConfig::Pad::kAuto;
  batch.adaptive = b.Get("adaptiveBatchSize").As<Napi::Boolean>();
  Napi::Array preferred = b.Get("preferredBatchSizes").As<Napi::Array>();
  for (uint32_t i = 0; i < preferred.Length(); ++i) {
    batch.preferred_sizes.push_back(preferred.Get(i).As<Napi::Number>().Int64Value());
  }
  return batch;
}

ProviderConfig ParseProvider(Napi::Object p) {
  ProviderConfig provider;
  provider.name = p.Get("name").As<Napi::String>();
  if (provider.name != "cuda") return provider;
  provider.device_id = static_cast<int>(Int(p, "deviceId"));
  provider.gpu_mem_limit = static_cast<uint64_t>(Int(p, "gpuMemLimit"));
  provider.cudnn_conv_algo_search = p.Get("cudnnConvAlgoSearch").As<Napi::String>();
  provider.enable_cuda_graph = p.Get("enableCudaGraph").As<Napi::Boolean>();
  return provider;
}

// `options` is a ResolvedSessionOptions (bindings/options.ts): complete and validated.
SessionConfig ParseConfig(Napi::Value model, Napi::Object options) {
  SessionConfig config;
  if (model.IsString()) {
    config.model_path = model.As<Napi::String>();
  } else {
    Napi::Uint8Array bytes = model.As<Napi::Uint8Array>();
    config.model_bytes.assign(bytes.Data(), bytes.Data() + bytes.ByteLength());
  }
  config.intra_op_threads = static_cast<int>(Int(options, "intraOpThreads"));
  config.inter_op_threads = static_cast<int>(Int(options, "interOpThreads"));
  config.graph_optimization_level = options.Get("graphOptimizationLevel").As<Napi::String>();
  Napi::Array providers = options.Get("executionProviders").As<Napi::Array>();
  for (uint32_t i = 0; i < providers.Length(); ++i) {
    config.providers.push_back(ParseProvider(providers.Get(i).As<Napi::Object>()));
  }
  config.batching = ParseBatching(options.Get("batching"));
  config.instances = static_cast<int>(Int(options, "instances"));
  config.cpu_mem_arena = options.Get("cpuMemArena").As<Napi::Boolean>();
  config.spinning = options.Get("spinning").As<Napi::Boolean>();
  config.inline_run_micros = Int(options, "inlineRunMicros");
  return config;
}

class CreateSessionWorker : public Napi::AsyncWorker {
 public:
  CreateSessionWorker(Napi::Env env, SessionConfig config)
      : Napi::AsyncWorker(env, "graphserve:createSession"), config_(std::move(config)), deferred_(env) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    std::unique_ptr<Model> model;
    status_ = Model::Load(config_, &model, &warnings_);
    if (status_.ok()) engine_ = std::make_unique<Engine>(std::move(model), config_);
  }

  void OnOK() override {
    Napi::Env env = Env();
    AddonData* addon = AddonData::Get(env);
    if (!status_.ok()) {
      deferred_.Reject(addon->MakeError(env, status_));
      return;
    }
    Napi::Array warnings = Napi::Array::New(env, warnings_.size());
    for (size_t i = 0; i < warnings_.size(); ++i) warnings.Set(i, warnings_[i]);
    // The wrap takes ownership of the engine.
    Napi::Object session =
        addon->session_constructor.New({Napi::External<Engine>::New(env, engine_.release()), warnings});
    deferred_.Resolve(session);
  }

 private:
  SessionConfig config_;
  Napi::Promise::Deferred deferred_;
  Status status_;
  std::vector<std::string> warnings_;
  std::unique_ptr<Engine> engine_;
};

}  // namespace

Napi::Value CreateSession(const Napi::CallbackInfo& info) {
  auto* worker = new CreateSessionWorker(info.Env(), ParseConfig(info[0], info[1].As<Napi::Object>()));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace graphserve
