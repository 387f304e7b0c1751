#include "json_numbers.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <system_error>

namespace graphserve {
namespace {

bool IsSpace(uint8_t c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// Powers of ten a double holds exactly: 10^0 .. 10^22.
constexpr double kExactPowers[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
constexpr uint64_t kIntegerPowers[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};
constexpr int kMaxExactPower = 22;
constexpr uint64_t kMaxExactMantissa = uint64_t{1} << 53;
constexpr int kMaxMantissaDigits = 19;           // every 19-digit decimal fits in a uint64_t
constexpr int kMaxExponentDigits = 4;            // beyond, the number is left to std::from_chars
constexpr uint64_t kZeros = 0x3030303030303030;  // "00000000"
constexpr double kSigns[] = {1.0, -1.0};

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the digit reader loads text as little-endian words");

// How many of the 8 bytes in `word` (text order: lowest byte first) are ASCII digits before the first
// byte that is not. A byte below the first non-digit neither borrows nor carries, so it is tested exactly.
int LeadingDigits(uint64_t word) {
  const uint64_t not_digit = ((word + 0x4646464646464646) | (word - kZeros)) & 0x8080808080808080;
  return not_digit == 0 ? 8 : __builtin_ctzll(not_digit) >> 3;
}

// The value of 8 ASCII digits (lowest byte the most significant digit), with three multiplications.
uint64_t EightDigits(uint64_t word) {
  word = ((word & 0x0F0F0F0F0F0F0F0F) * 2561) >> 8;
  word = ((word & 0x00FF00FF00FF00FF) * 6553601) >> 16;
  return ((word & 0x0000FFFF0000FFFF) * 42949672960001) >> 32;
}

// Decimal digits read into an integer, and how many there were.
struct Digits {
  uint64_t value = 0;
  int count = 0;  // leading zeros included; beyond kMaxMantissaDigits `value` is no longer exact

  // Takes the digits at `*q` (advancing it); returns how many. Reads 8 bytes at a time where the text has
  // them: no branch per digit, so numbers of varying length cost no mispredicted branches.
  __attribute__((always_inline)) int Take(const uint8_t** q, const uint8_t* end) {
    const int before = count;
    while (end - *q >= 8) {
      uint64_t word;
      std::memcpy(&word, *q, 8);
      const int n = LeadingDigits(word);
      if (n == 0) return count - before;
      if (count + n <= kMaxMantissaDigits) {
        const uint64_t padded = n == 8 ? word : (word << (8 * (8 - n))) | (kZeros >> (8 * n));
        value = value * kIntegerPowers[n] + EightDigits(padded);
      }
      count += n;
      *q += n;
      if (n < 8) return count - before;
    }
    for (; *q < end && **q >= '0' && **q <= '9'; ++*q, ++count) {
      if (count < kMaxMantissaDigits) value = value * 10 + (**q - '0');
    }
    return count - before;
  }
};

// Reads one number by JSON's grammar, -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, at `p`. Returns its
// length in bytes (0: not a number, or out of a double's range) and sets `*value` to the double nearest to
// it, as std::from_chars does. Most tensor data (up to 15 significant digits, a small exponent) takes
// Clinger's fast path: the digits as an integer below 2^53 times or divided by an exact power of ten, one
// correctly rounded operation; the rest goes to std::from_chars (libstdc++'s is several times slower).
// Inlined into the reading loop: its result then stays in registers (8% faster than a call).
inline __attribute__((always_inline)) size_t ReadNumber(const uint8_t* p, const uint8_t* end, double* value) {
  const uint8_t* q = p;
  const bool negative = q < end && *q == '-';
  q += negative;
  Digits mantissa;
  if (q < end && *q == '0') {
    ++q;
    mantissa.count = 1;
  } else if (mantissa.Take(&q, end) == 0) {
    return 0;
  }
  int exponent = 0;
  if (q < end && *q == '.') {
    ++q;
    const int fraction = mantissa.Take(&q, end);
    if (fraction == 0) return 0;
    exponent -= fraction;
  }
  Digits written;
  if (q < end && (*q == 'e' || *q == 'E')) {
    ++q;
    const bool minus = q < end && *q == '-';
    if (q < end && (*q == '+' || *q == '-')) ++q;
    if (written.Take(&q, end) == 0) return 0;
    if (written.count <= kMaxExponentDigits)
      exponent += minus ? -static_cast<int>(written.value) : static_cast<int>(written.value);
  }
  const size_t length = static_cast<size_t>(q - p);
  const bool exact = mantissa.count <= kMaxMantissaDigits && written.count <= kMaxExponentDigits &&
                     mantissa.value <= kMaxExactMantissa && exponent >= -kMaxExactPower &&
                     exponent <= kMaxExactPower;
  if (exact) {
    double v = static_cast<double>(mantissa.value);
    v = exponent < 0 ? v / kExactPowers[-exponent] : v * kExactPowers[exponent];
    // The sign by a multiplication (exact), not a branch: signs of tensor data are as good as random, and
    // a branch on them is mispredicted every other number.
    *value = v * kSigns[negative];
    return length;
  }
  auto result = std::from_chars(reinterpret_cast<const char*>(p), reinterpret_cast<const char*>(q), *value);
  return result.ec == std::errc() ? length : 0;  // out of range: let JSON.parse decide
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

template <typename T>
bool ParseJsonNumbers(const uint8_t* text, size_t length, size_t start, std::vector<T>* values,
                      std::vector<int64_t>* dims, size_t* end) {
  const uint8_t* p = text + start;
  const uint8_t* const limit = text + length;
  std::vector<size_t> outer;
  Nesting nesting(dims, &outer);
  // The numbers go into a vector of this frame, whose end the compiler keeps in a register (through
  // `values` it would store it back after every number); `values` gets it, with the caller's reserved
  // room, at the end.
  std::vector<T> read;
  read.swap(*values);
  bool ok = false;
  bool expect_value = true;  // after '[' or ','
  bool after_open = false;   // right after '[': ']' is allowed (an empty array)
  while (p < limit) {
    const uint8_t c = *p;
    if (IsSpace(c)) {
      ++p;
    } else if (c == '[') {
      if (!expect_value || !nesting.Open()) break;
      after_open = true;
      ++p;
    } else if (c == ']') {
      if (expect_value && !after_open) break;  // "[1,]"
      if (!nesting.Close()) break;
      expect_value = false;
      after_open = false;
      ++p;
      if (nesting.depth() == 0) {
        *end = static_cast<size_t>(p - text);
        ok = true;
        break;
      }
    } else if (c == ',') {
      if (expect_value) break;
      expect_value = true;
      after_open = false;
      ++p;
    } else {
      if (!expect_value || nesting.depth() == 0) break;
      // A run of numbers separated by bare commas (the usual tensor text) is read here: a comma followed
      // by anything but a space, a bracket or another comma is taken at once (what follows must then be
      // a number); the rest goes round the outer loop, which checks it.
      bool numbers_ok = true;
      for (;;) {
        double value = 0;
        const size_t n = ReadNumber(p, limit, &value);
        if (n == 0 || !nesting.Number()) {
          numbers_ok = false;
          break;
        }
        // To FP32: the nearest double rounded once more, as Math.fround rounds it.
        read.push_back(static_cast<T>(value));
        p += n;
        if (limit - p < 2 || p[0] != ',' || IsSpace(p[1]) || p[1] == '[' || p[1] == ']' || p[1] == ',') break;
        ++p;
      }
      if (!numbers_ok) break;
      expect_value = false;
      after_open = false;
    }
  }
  read.swap(*values);
  return ok;
}

int GuessJsonNumberBits(const uint8_t* text, size_t start) {
  static constexpr char kDatatype[] = "\"datatype\"";
  static constexpr char kFp64[] = "\"FP64\"";
  constexpr size_t kDatatypeLength = sizeof(kDatatype) - 1;
  constexpr size_t kFp64Length = sizeof(kFp64) - 1;
  size_t open = start;
  while (open > 0 && text[open - 1] != '{') --open;
  if (open == 0) return 32;
  const uint8_t* end = text + start;
  const uint8_t* key = std::search(text + open, end, kDatatype, kDatatype + kDatatypeLength);
  if (key == end) return 32;
  const uint8_t* p = key + kDatatypeLength;
  while (p < end && IsSpace(*p)) ++p;
  if (p == end || *p != ':') return 32;
  ++p;
  while (p < end && IsSpace(*p)) ++p;
  return end - p >= static_cast<ptrdiff_t>(kFp64Length) && std::memcmp(p, kFp64, kFp64Length) == 0 ? 64 : 32;
}

template bool ParseJsonNumbers<double>(const uint8_t*, size_t, size_t, std::vector<double>*,
                                       std::vector<int64_t>*, size_t*);
template bool ParseJsonNumbers<float>(const uint8_t*, size_t, size_t, std::vector<float>*,
                                      std::vector<int64_t>*, size_t*);

}  // namespace graphserve
