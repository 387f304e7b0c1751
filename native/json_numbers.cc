#include "json_numbers.h"

#include <charconv>
#include <system_error>

namespace graphserve {
namespace {

bool IsSpace(uint8_t c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
size_t NumberLength(const uint8_t* p, const uint8_t* end) {
  const uint8_t* q = p;
  auto digits = [&] {
    const uint8_t* s = q;
    while (q < end && *q >= '0' && *q <= '9') ++q;
    return q > s;
  };
  if (q < end && *q == '-') ++q;
  if (q < end && *q == '0') {
    ++q;
  } else if (!digits()) {
    return 0;
  }
  if (q < end && *q == '.') {
    ++q;
    if (!digits()) return 0;
  }
  if (q < end && (*q == 'e' || *q == 'E')) {
    ++q;
    if (q < end && (*q == '+' || *q == '-')) ++q;
    if (!digits()) return 0;
  }
  return static_cast<size_t>(q - p);
}

}  // namespace

bool ParseJsonNumbers(const uint8_t* text, size_t length, size_t start, std::vector<double>* values,
                      size_t* end) {
  const uint8_t* p = text + start;
  const uint8_t* const limit = text + length;
  int depth = 0;
  bool expect_value = true;  // after '[' or ','
  bool after_open = false;   // right after '[': ']' is allowed (an empty array)
  while (p < limit) {
    const uint8_t c = *p;
    if (IsSpace(c)) {
      ++p;
    } else if (c == '[') {
      if (!expect_value) return false;
      ++depth;
      after_open = true;
      ++p;
    } else if (c == ']') {
      if (expect_value && !after_open) return false;  // "[1,]"
      --depth;
      expect_value = false;
      after_open = false;
      ++p;
      if (depth == 0) {
        *end = static_cast<size_t>(p - text);
        return true;
      }
    } else if (c == ',') {
      if (expect_value) return false;
      expect_value = true;
      after_open = false;
      ++p;
    } else {
      if (!expect_value || depth == 0) return false;
      const size_t n = NumberLength(p, limit);
      if (n == 0) return false;
      double value = 0;
      auto result =
          std::from_chars(reinterpret_cast<const char*>(p), reinterpret_cast<const char*>(p + n), value);
      if (result.ec != std::errc()) return false;  // out of range: let JSON.parse decide
      values->push_back(value);
      expect_value = false;
      after_open = false;
      p += n;
    }
  }
  return false;
}

}  // namespace graphserve
