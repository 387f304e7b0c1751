// Plain, already-validated options for one session (validated in bindings/options.ts; C++ only
// asserts). Built on the JS thread by session_wrap.cc, then owned by the engine.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace graphserve {

struct ProviderConfig {
  std::string name;  // "cpu" or "cuda"
  int device_id = 0;
  uint64_t gpu_mem_limit = 0;  // bytes; 0 = no limit
  std::string cudnn_conv_algo_search = "EXHAUSTIVE";
  bool enable_cuda_graph = false;
};

struct BatchConfig {
  bool enabled = true;
  int64_t max_batch_size = 32;           // rows
  int64_t max_queue_delay_micros = 0;    // µs; 0 = opportunistic
  std::vector<int64_t> preferred_sizes;  // ascending
  int64_t max_queue_size = 4096;         // requests
  // Pad every batch with zero rows up to max_batch_size, so the model always sees one shape.
  enum class Pad { kNo, kYes, kAuto } pad = Pad::kAuto;  // kAuto: pad when the session runs on CUDA
  // Cap batches at the size measured cheapest per row (batch_tuner.h), with no delay, preferred sizes or
  // padding.
  bool adaptive = true;
};

struct SessionConfig {
  std::string model_path;            // either a path …
  std::vector<uint8_t> model_bytes;  // … or the model's bytes (copied out of JS)
  int intra_op_threads = 0;          // 0 = ORT default
  int inter_op_threads = 0;
  std::string graph_optimization_level = "all";
  std::vector<ProviderConfig> providers;
  BatchConfig batching;
  int instances = 1;
  bool cpu_mem_arena = true;
  bool spinning = false;  // idle ORT pool threads spin before sleeping
  // Batches whose model's recent runs each took at most this long run on the JS thread at the wake
  // (engine.h, RunInline); 0 = always on a scheduler thread.
  int64_t inline_run_micros = 0;
};

}  // namespace graphserve
