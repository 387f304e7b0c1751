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

// The nesting of the array being read: it must be regular, as a tensor's nested data.
class Nesting {
 public:
  explicit Nesting(std::vector<int64_t>* dims) : dims_(dims) { dims_->clear(); }

  size_t depth() const { return counts_.size(); }

  // A '[' opens an array one level below the current one (it is an element of its parent).
  bool Open() {
    if (!counts_.empty()) ++counts_.back();
    const size_t level = counts_.size();
    if (level >= kMaxJsonNumbersDepth) return false;
    if (leaf_level_ >= 0 && static_cast<int64_t>(level) > leaf_level_) return false;  // a list beside numbers
    counts_.push_back(0);
    if (dims_->size() <= level) dims_->resize(level + 1, -1);
    return true;
  }

  // A number is an element of the innermost open array: every number must be at the deepest level.
  bool Number() {
    const int64_t level = static_cast<int64_t>(counts_.size()) - 1;
    ++counts_.back();
    if (leaf_level_ < 0) leaf_level_ = level;
    return level == leaf_level_ && static_cast<int64_t>(dims_->size()) == level + 1;
  }

  // A ']' closes the innermost array: its length must be the one of the arrays before it at its level.
  bool Close() {
    if (counts_.empty()) return false;
    const size_t level = counts_.size() - 1;
    const int64_t count = static_cast<int64_t>(counts_.back());
    counts_.pop_back();
    int64_t& dim = (*dims_)[level];
    if (dim < 0) dim = count;
    return dim == count;
  }

 private:
  std::vector<int64_t>* dims_;
  std::vector<size_t> counts_;  // elements so far in each open array, outermost first
  int64_t leaf_level_ = -1;     // the level of the arrays that hold numbers, once one was seen
};

}  // namespace

bool ParseJsonNumbers(const uint8_t* text, size_t length, size_t start, std::vector<double>* values,
                      std::vector<int64_t>* dims, size_t* end) {
  const uint8_t* p = text + start;
  const uint8_t* const limit = text + length;
  Nesting nesting(dims);
  bool expect_value = true;  // after '[' or ','
  bool after_open = false;   // right after '[': ']' is allowed (an empty array)
  while (p < limit) {
    const uint8_t c = *p;
    if (IsSpace(c)) {
      ++p;
    } else if (c == '[') {
      if (!expect_value || !nesting.Open()) return false;
      after_open = true;
      ++p;
    } else if (c == ']') {
      if (expect_value && !after_open) return false;  // "[1,]"
      if (!nesting.Close()) return false;
      expect_value = false;
      after_open = false;
      ++p;
      if (nesting.depth() == 0) {
        *end = static_cast<size_t>(p - text);
        return true;
      }
    } else if (c == ',') {
      if (expect_value) return false;
      expect_value = true;
      after_open = false;
      ++p;
    } else {
      if (!expect_value || nesting.depth() == 0) return false;
      const size_t n = NumberLength(p, limit);
      if (n == 0) return false;
      double value = 0;
      auto result =
          std::from_chars(reinterpret_cast<const char*>(p), reinterpret_cast<const char*>(p + n), value);
      if (result.ec != std::errc()) return false;  // out of range: let JSON.parse decide
      if (!nesting.Number()) return false;
      values->push_back(value);
      expect_value = false;
      after_open = false;
      p += n;
    }
  }
  return false;
}

}  // namespace graphserve
