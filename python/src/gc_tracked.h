// Garbage-collector support for the bound classes whose C++ object holds Python references (the
// DB a dependent belongs to, the snapshot or transaction an iterator reads).
//
// Those references are C++ members, invisible to the cycle collector unless the type traverses
// them: `db.it = db.iterator()` would otherwise be a cycle the collector cannot see, keeping the
// DB open (its directory locked) until the process exits. GcTracked<T>() makes T's instances
// collector-tracked, with
//  - tp_traverse visiting the type and T::Traverse's references (none before __init__ succeeded);
//  - tp_clear calling T::ClearReferences, which must leave the object as close() does (its engine
//    resource released, unregistered from its DB) before it drops a reference, and must do
//    nothing while a method of the object runs (the collector only clears unreachable objects,
//    and a running method holds a reference to its object, so that is defence only);
//  - tp_dealloc untracking the instance before pybind11 destroys the C++ object: the destructors
//    release the GIL, and a collection in another thread must not traverse a half-destroyed
//    object (pybind11 2.10's own dealloc does not untrack).
#ifndef ZIGGYDB_PYTHON_GC_TRACKED_H_
#define ZIGGYDB_PYTHON_GC_TRACKED_H_

#include <pybind11/pybind11.h>

#include "constructed.h"

namespace ziggydb::python {

// tp_dealloc of every collector-tracked bound class (_DB's too: pybind11's dynamic_attr makes it
// tracked). Otherwise a destructor releasing the GIL would let a collection in another thread
// find the dying object (reference count 0) still tracked, take it for garbage and free it a
// second time. CPython's tp_dealloc of a Python subclass (ziggydb.DB) tracks the object again
// before it calls this.
inline void UntrackThenDealloc(PyObject* self) {
  PyObject_GC_UnTrack(self);
  pybind11::detail::pybind11_object_dealloc(self);
}

// Pass to T's py::class_ constructor. T has `int Traverse(visitproc, void*) const` and
// `void ClearReferences()` (see the top).
template <typename T>
pybind11::custom_type_setup GcTracked() {
  return pybind11::custom_type_setup([](PyHeapTypeObject* heap_type) {
    PyTypeObject* type = &heap_type->ht_type;
    type->tp_flags |= Py_TPFLAGS_HAVE_GC;
    type->tp_dealloc = &UntrackThenDealloc;
    type->tp_traverse = [](PyObject* self, visitproc visit, void* arg) -> int {
      Py_VISIT(Py_TYPE(self));  // a heap type's instance holds a reference to it
      const auto* object = static_cast<const T*>(ConstructedValue(self, BoundType<T>()));
      return object == nullptr ? 0 : object->Traverse(visit, arg);
    };
    type->tp_clear = [](PyObject* self) -> int {
      auto* object = static_cast<T*>(ConstructedValue(self, BoundType<T>()));
      if (object != nullptr) object->ClearReferences();
      return 0;
    };
  });
}

}  // namespace ziggydb::python

#endif  // ZIGGYDB_PYTHON_GC_TRACKED_H_
