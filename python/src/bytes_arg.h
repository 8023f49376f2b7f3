// BytesArg: a borrowed view of a bytes-like argument (bytes, bytearray, memoryview, any
// C-contiguous buffer) as the engine's std::string_view.
//
// str, None and objects without the buffer protocol raise TypeError, as plyvel does for a str key:
// keys and values are bytes, never text in some implied encoding. Invariant: while a BytesArg
// lives, the buffer stays exported, so a bytearray cannot be resized under a call that released
// the GIL. It holds no reference to the object: the caller keeps the object alive for as long as
// the BytesArg (an argument of the call is; an item taken from a temporary container is not).
#ifndef ZIGGYDB_PYTHON_BYTES_ARG_H_
#define ZIGGYDB_PYTHON_BYTES_ARG_H_

#include <pybind11/pybind11.h>

#include <string_view>

namespace ziggydb::python {

class BytesArg {
 public:
  // `what` names the argument in the TypeError ("key", "value", ...).
  BytesArg(pybind11::handle object, const char* what);
  BytesArg(const BytesArg&) = delete;
  BytesArg& operator=(const BytesArg&) = delete;
  ~BytesArg();

  std::string_view view() const { return view_; }

 private:
  Py_buffer buffer_{};
  bool has_buffer_ = false;
  std::string_view view_;
};

}  // namespace ziggydb::python

#endif  // ZIGGYDB_PYTHON_BYTES_ARG_H_
