#include "errors.h"

#include <string>

namespace py = pybind11;

namespace ziggydb::python {
namespace {

// Owned by the module (it holds a reference to each class for the life of the interpreter).
PyObject* error_class = nullptr;
PyObject* not_found_class = nullptr;
PyObject* corruption_class = nullptr;
PyObject* io_error_class = nullptr;
PyObject* invalid_argument_class = nullptr;
PyObject* not_supported_class = nullptr;
PyObject* busy_class = nullptr;
PyObject* iterator_invalid_class = nullptr;

PyObject* NewClass(py::module_& module, const char* name, const char* doc, py::tuple bases) {
  const std::string qualified = std::string("ziggydb.") + name;
  PyObject* cls = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases.ptr(), /*dict=*/nullptr);
  if (cls == nullptr) throw py::error_already_set();
  module.add_object(name, py::handle(cls));  // the module keeps its own reference
  return cls;
}

}  // namespace

void RegisterErrors(py::module_& module) {
  py::handle base(PyExc_Exception);
  error_class =
      NewClass(module, "Error", "Base class of every ZiggyDB error.", py::make_tuple(base));
  py::handle error(error_class);
  not_found_class =
      NewClass(module, "NotFound", "The key or file does not exist.", py::make_tuple(error));
  corruption_class =
      NewClass(module, "CorruptionError", "Stored data failed a checksum or could not be decoded.",
               py::make_tuple(error));
  io_error_class = NewClass(module, "IOError", "The file system reported an error.",
                            py::make_tuple(error, py::handle(PyExc_OSError)));
  invalid_argument_class =
      NewClass(module, "InvalidArgument", "An argument or option is out of range or misused.",
               py::make_tuple(error, py::handle(PyExc_ValueError)));
  not_supported_class =
      NewClass(module, "NotSupported", "The operation or option is not supported by ZiggyDB.",
               py::make_tuple(error, py::handle(PyExc_NotImplementedError)));
  busy_class = NewClass(module, "Busy",
                        "Retry later: the DB is open elsewhere, or a transaction conflicted.",
                        py::make_tuple(error));
  iterator_invalid_class =
      NewClass(module, "IteratorInvalidError", "A raw iterator was used while not valid.",
               py::make_tuple(error));
}

void RaiseStatus(const Status& status) {
  PyObject* cls = error_class;
  switch (status.code()) {
    case Status::Code::kNotFound:
      cls = not_found_class;
      break;
    case Status::Code::kCorruption:
      cls = corruption_class;
      break;
    case Status::Code::kNotSupported:
      cls = not_supported_class;
      break;
    case Status::Code::kInvalidArgument:
      cls = invalid_argument_class;
      break;
    case Status::Code::kIOError:
      cls = io_error_class;
      break;
    case Status::Code::kBusy:
      cls = busy_class;
      break;
    case Status::Code::kOk:
      break;
  }
  PyErr_SetString(cls, status.ToString().c_str());
  throw py::error_already_set();
}

void RaiseIteratorInvalid(const char* message) {
  PyErr_SetString(iterator_invalid_class, message);
  throw py::error_already_set();
}

void RaiseClosed(const char* what) {
  PyErr_SetString(PyExc_RuntimeError, what);
  throw py::error_already_set();
}

}  // namespace ziggydb::python
