// ParseJsonNumbers: reads one JSON array of numbers, flat or nested, from UTF-8 text, strictly by JSON's
// grammar, with its nesting. Used by the OIP JSON fast path (src/protocol/fast-json.ts): reading digits
// here is several times faster than building JS numbers with JSON.parse.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace graphserve {

// Deepest nesting read; deeper arrays are left to the full parser (which refuses them).
constexpr size_t kMaxJsonNumbersDepth = 64;

// `text[start]` must be '['. On success returns true, fills `values` with the numbers in order (nested
// arrays flattened; as float, each the nearest double rounded to FP32 as Math.fround rounds it, with no
// doubles kept), `dims` with the length of the arrays at each depth (outermost first: [2, 3] for
// [[1,2,3],[4,5,6]]) and sets `*end` one past the matching ']'. Returns false on anything that is not a
// well-formed, regularly nested array of numbers (a string, true, null, a missing comma, out-of-range
// values, arrays of different lengths at one depth, numbers beside arrays, more than
// kMaxJsonNumbersDepth levels …): the caller then falls back to a full JSON parser.
template <typename T>  // double or float
bool ParseJsonNumbers(const uint8_t* text, size_t length, size_t start, std::vector<T>* values,
                      std::vector<int64_t>* dims, size_t* end);

// The width, 32 or 64, to read the array at `text[start]` in: 64 when the innermost object before it names
// "FP64" as its datatype ahead of the array (`{"datatype": "FP64", ..., "data": [`), else 32 (FP32, the usual
// datatype; the reader then keeps no doubles). Only a guess: a datatype written after its data reads as 32,
// and the caller mends a wrong guess (src/protocol/fast-json.ts).
int GuessJsonNumberBits(const uint8_t* text, size_t start);

}  // namespace graphserve
