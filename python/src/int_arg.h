// Integer arguments of engine types: a Python int (not a bool) checked against the C++ field's
// range, so that a value that does not fit raises the package's documented error (InvalidArgument,
// also a ValueError, naming the argument) instead of pybind11's RuntimeError "Unable to cast".
#ifndef ZIGGYDB_PYTHON_INT_ARG_H_
#define ZIGGYDB_PYTHON_INT_ARG_H_

#include <pybind11/pybind11.h>

#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

namespace ziggydb::python {

// `value` if it is an int in [min, max]: TypeError if it is not an int (or is a bool),
// InvalidArgument naming `what` (e.g. "option 'block_size'") if it is out of range.
int64_t SignedArg(pybind11::handle value, const std::string& what, int64_t min, int64_t max);
uint64_t UnsignedArg(pybind11::handle value, const std::string& what, uint64_t max);

// As above, with T's whole range.
template <typename T>
T IntArg(pybind11::handle value, const std::string& what) {
  static_assert(std::is_integral_v<T> && sizeof(T) <= sizeof(uint64_t));
  if constexpr (std::is_signed_v<T>) {
    return static_cast<T>(
        SignedArg(value, what, std::numeric_limits<T>::min(), std::numeric_limits<T>::max()));
  } else {
    return static_cast<T>(UnsignedArg(value, what, std::numeric_limits<T>::max()));
  }
}

}  // namespace ziggydb::python

#endif  // ZIGGYDB_PYTHON_INT_ARG_H_
