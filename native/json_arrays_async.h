// ExtractJsonNumberArrays: every `"data": [numbers]` array of a JSON text, read on the libuv thread pool,
// so that a large OIP JSON body does not hold the event loop (src/protocol/off-thread-json.ts).
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace graphserve {

// One array found: the bytes it spans ([start, end), from '[' to one past its ']'), its numbers in order, as
// doubles or as floats (GuessJsonNumberBits: the other vector stays empty), and the length of its arrays at
// each depth (as ParseJsonNumbers gives them).
struct JsonNumberArray {
  size_t start = 0;
  size_t end = 0;
  int bits = 32;
  std::vector<double> values;
  std::vector<float> values32;
  std::vector<int64_t> dims;
};

// Finds each `"data"` key followed (after JSON white space) by ':' and '[', and reads that array with
// ParseJsonNumbers, resuming the search after it; elsewhere the search resumes after the white space
// that follows the key. Returns false as soon as one such array is not a well-formed, regularly nested
// array of numbers (the caller then parses the whole text as usual). Pure: safe on any thread.
bool ExtractJsonNumberArrays(const uint8_t* text, size_t length, std::vector<JsonNumberArray>* arrays);

// extractJsonNumberArrays(text: Uint8Array):
//   Promise<Array<{start, end, values?: Float64Array, values32?: Float32Array, dims}> | null>.
// The text is read on the libuv thread pool while a reference keeps it alive: the caller must not
// change its bytes until the promise settles. Each array comes as `values32` (rounded to FP32 as Math.fround
// rounds, no doubles kept) or `values`, as GuessJsonNumberBits chose; it owns its memory (no copy is made).
Napi::Value ExtractJsonNumberArraysJs(const Napi::CallbackInfo& info);

}  // namespace graphserve
