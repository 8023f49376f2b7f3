#include "int_arg.h"

#include "errors.h"

namespace py = pybind11;

namespace ziggydb::python {
namespace {

void RequireInt(py::handle value, const std::string& what) {
  if (!PyLong_Check(value.ptr()) || PyBool_Check(value.ptr())) {
    throw py::type_error(what + " must be an int, not '" + Py_TYPE(value.ptr())->tp_name + "'");
  }
}

[[noreturn]] void RaiseOutOfRange(py::handle value, const std::string& what, const std::string& min,
                                  const std::string& max) {
  RaiseStatus(Status::InvalidArgument(
      what + " is out of range",
      "must be from " + min + " to " + max + ", got " + py::repr(value).cast<std::string>()));
}

}  // namespace

int64_t SignedArg(py::handle value, const std::string& what, int64_t min, int64_t max) {
  RequireInt(value, what);
  int overflow = 0;
  const long long result = PyLong_AsLongLongAndOverflow(value.ptr(), &overflow);
  if (result == -1 && PyErr_Occurred()) throw py::error_already_set();
  if (overflow == 0 && result >= min && result <= max) return result;
  RaiseOutOfRange(value, what, std::to_string(min), std::to_string(max));
}

uint64_t UnsignedArg(py::handle value, const std::string& what, uint64_t max) {
  RequireInt(value, what);
  const unsigned long long result = PyLong_AsUnsignedLongLong(value.ptr());
  if (result == static_cast<unsigned long long>(-1) && PyErr_Occurred()) {
    if (!PyErr_ExceptionMatches(PyExc_OverflowError)) throw py::error_already_set();
    PyErr_Clear();  // negative, or above 2**64 - 1
  } else if (result <= max) {
    return result;
  }
  RaiseOutOfRange(value, what, "0", std::to_string(max));
}

}  // namespace ziggydb::python
