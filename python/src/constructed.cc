#include "constructed.h"

#include <algorithm>
#include <memory>
#include <new>

namespace py = pybind11;

namespace ziggydb::python {

void* ConstructedValue(PyObject* object, const py::detail::type_info* bound) {
  auto* instance = reinterpret_cast<py::detail::instance*>(object);
  // A simple layout holds a single C++ object, which can only be `bound`'s: no type lookup (this
  // runs on every call of DB.get and DB.put).
  const py::detail::value_and_holder slot =
      instance->simple_layout ? instance->get_value_and_holder()
                              : instance->get_value_and_holder(bound, /*throw_if_missing=*/false);
  // `slot.inst` is null only if the instance has no slot for `bound`, which an instance of a
  // subclass always has; refuse it all the same rather than let pybind11 fail on it.
  if (slot.inst == nullptr) return nullptr;
  // The value pointer alone does not tell: pybind11's caster points it at raw, unconstructed
  // memory on a cast attempt. The holder is constructed exactly when __init__ succeeded.
  if (!slot.holder_constructed()) return nullptr;
  return slot.value_ptr();
}

void RaiseUnconstructed(PyObject* object) {
  PyErr_Format(PyExc_RuntimeError,
               "this %s object is not initialised: its __init__ failed or was never called "
               "(e.g. the DB could not be opened)",
               Py_TYPE(object)->tp_name);
  throw py::error_already_set();
}

PyObject* InitOnce(PyObject* init, const py::detail::type_info* bound, PyObject* self,
                   PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  // The method descriptor has checked that self is an instance of the class (or a subclass).
  if (ConstructedValue(self, bound) != nullptr) {
    PyErr_Format(PyExc_RuntimeError,
                 "this %s object is initialised already: __init__ runs once (make a new object)",
                 Py_TYPE(self)->tp_name);
    return nullptr;
  }
  // init(self, *args, **kwargs): self first, then the positional and keyword values.
  const Py_ssize_t keywords = kwnames == nullptr ? 0 : PyTuple_GET_SIZE(kwnames);
  constexpr Py_ssize_t kOnStack = 16;
  PyObject* on_stack[kOnStack];
  std::unique_ptr<PyObject*[]> on_heap;
  PyObject** call_args = on_stack;
  if (1 + nargs + keywords > kOnStack) {
    on_heap.reset(new (std::nothrow) PyObject*[1 + nargs + keywords]);
    if (on_heap == nullptr) return PyErr_NoMemory();
    call_args = on_heap.get();
  }
  call_args[0] = self;
  std::copy(args, args + nargs + keywords, call_args + 1);
  return PyObject_Vectorcall(init, call_args, 1 + nargs, kwnames);
}

}  // namespace ziggydb::python
