// ParseJsonNumbers: reads one JSON array of numbers (nested arrays allowed, flattened in order) from
// UTF-8 text, strictly by JSON's grammar. Used by the OIP JSON fast path (bindings/json-numbers.ts):
// std::from_chars is several times faster than building JS numbers with JSON.parse.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace graphserve {

// `text[start]` must be '['. On success returns true, fills `values` and sets `*end` one past the
// matching ']'. Returns false on anything that is not a well-formed array of numbers (a string, true,
// null, a missing comma, out-of-range values …): the caller then falls back to a full JSON parser.
bool ParseJsonNumbers(const uint8_t* text, size_t length, size_t start, std::vector<double>* values,
                      size_t* end);

}  // namespace graphserve
