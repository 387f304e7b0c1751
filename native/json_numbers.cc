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

// The nesting of the array being read: it must be regular, as a tensor's nested data. A number costs
// one increment and one comparison; the rest happens per array.
class Nesting {
 public:
  // `outer` is scratch space; it lives outside so that this object stays in registers.
  Nesting(std::vector<int64_t>* dims, std::vector<size_t>* outer) : dims_(dims), outer_(outer) {
    dims_->clear();
    outer_->clear();
  }

  size_t depth() const { return depth_; }

  // A '[' opens an array one level below the current one (it is an element of its parent).
  bool Open() {
    if (depth_ > 0) ++count_;
    if (depth_ >= kMaxJsonNumbersDepth) return false;
    if (leaf_depth_ != 0 && depth_ >= leaf_depth_) return false;  // a list beside numbers
    outer_->push_back(count_);
    count_ = 0;
    ++depth_;
    if (dims_->size() < depth_) dims_->push_back(-1);
    return true;
  }

  // A number is an element of the innermost open array: every number must be at the deepest level.
  bool Number() {
    ++count_;
    if (depth_ == leaf_depth_) return true;
    if (leaf_depth_ != 0) return false;
    leaf_depth_ = depth_;
    return dims_->size() == depth_;  // no deeper array came before
  }

  // A ']' closes the innermost array: its length must be the one of the arrays before it at its level.
  bool Close() {
    if (depth_ == 0) return false;
    int64_t& dim = (*dims_)[depth_ - 1];
    const int64_t count = static_cast<int64_t>(count_);
    if (dim < 0) dim = count;
    if (dim != count) return false;
    --depth_;
    count_ = outer_->back();
    outer_->pop_back();
    return true;
  }

 private:
  std::vector<int64_t>* dims_;
  std::vector<size_t>* outer_;  // element counts of the enclosing open arrays
  size_t count_ = 0;            // elements so far in the innermost open array
  size_t depth_ = 0;            // arrays open
  size_t leaf_depth_ = 0;       // the depth of the arrays that hold numbers, once one was seen (0: none yet)
};

}  // namespace

bool ParseJsonNumbers(const uint8_t* text, size_t length, size_t start, std::vector<double>* values,
                      std::vector<int64_t>* dims, size_t* end) {
  const uint8_t* p = text + start;
  const uint8_t* const limit = text + length;
  std::vector<size_t> outer;
  Nesting nesting(dims, &outer);
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
