#include "bytes_arg.h"

#include <string>

namespace py = pybind11;

namespace ziggydb::python {

BytesArg::BytesArg(py::handle object, const char* what) {
  PyObject* raw = object.ptr();
  // bytes is by far the common case: read it in place without a buffer export.
  if (PyBytes_Check(raw)) {
    view_ = std::string_view(PyBytes_AS_STRING(raw), static_cast<size_t>(PyBytes_GET_SIZE(raw)));
    return;
  }
  if (PyUnicode_Check(raw) || !PyObject_CheckBuffer(raw)) {
    throw py::type_error(std::string("'") + what + "' must be a bytes-like object, not '" +
                         Py_TYPE(raw)->tp_name + "'");
  }
  if (PyObject_GetBuffer(raw, &buffer_, PyBUF_C_CONTIGUOUS) != 0) throw py::error_already_set();
  has_buffer_ = true;
  view_ = std::string_view(static_cast<const char*>(buffer_.buf), static_cast<size_t>(buffer_.len));
}

BytesArg::~BytesArg() {
  if (has_buffer_) PyBuffer_Release(&buffer_);
}

}  // namespace ziggydb::python
