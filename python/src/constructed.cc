#include "constructed.h"

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

void RaiseInitialisedTwice(PyObject* object) {
  PyErr_Format(PyExc_RuntimeError,
               "this %s object is initialised already: __init__ runs once (make a new object)",
               Py_TYPE(object)->tp_name);
  throw py::error_already_set();
}

}  // namespace ziggydb::python
