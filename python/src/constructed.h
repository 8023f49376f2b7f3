// Refusing pybind11 instances whose C++ object was never constructed.
//
// A bound class's Python object exists before its C++ object: tp_new allocates the instance with a
// null value pointer, and only a successful __init__ (py::init) constructs the C++ object and marks
// the holder constructed. The Python object outlives a failed __init__ when anything still refers
// to it (the frames of the exception's traceback, which pytest renders with repr; a subclass whose
// __init__ stored `self` before it failed), and `cls.__new__(cls)` makes one without __init__.
// pybind11 then still runs methods on it: its caster allocates *uninitialised* memory for the
// missing value (type_caster_generic::load_value) and calls the method on that, which crashes.
//
// ZIGGYDB_PYTHON_REQUIRE_CONSTRUCTED(T) replaces the caster of T with one whose load raises
// RuntimeError (as a closed object does) when the instance's holder of T is not constructed. Every
// path from Python to a T goes through that caster: `self` of every bound method and property
// (member function pointers and lambdas alike), arguments typed T& or T*, and handle.cast<T*>()
// (e.g. the DB given to Snapshot, Iterator, WriteBatch or BackupEngine.create_backup). The fast
// entry points (fast_calls.cc), which bypass the caster, take `self` with ConstructedSelf.
//
// INVARIANT: the macro follows T's definition in T's header, so every translation unit that casts
// a T sees the specialisation (the compiler rejects a specialisation after an implicit
// instantiation in the same unit).
#ifndef ZIGGYDB_PYTHON_CONSTRUCTED_H_
#define ZIGGYDB_PYTHON_CONSTRUCTED_H_

#include <pybind11/pybind11.h>

#include <typeinfo>  // IWYU pragma: keep (typeid)

namespace ziggydb::python {

// The pybind11 record of the class bound for T (which must be bound already), looked up once.
template <typename T>
const pybind11::detail::type_info* BoundType() {
  static const pybind11::detail::type_info* const info =
      pybind11::detail::get_type_info(typeid(T), /*throw_if_missing=*/true);
  return info;
}

// The C++ object of the class `bound` inside `object`, an instance of that class or of a
// subclass; nullptr if it was never constructed. The GIL must be held.
void* ConstructedValue(PyObject* object, const pybind11::detail::type_info* bound);

// True if `object` is an instance of the class `bound` (or of a subclass) whose C++ object of that
// class was never constructed. The GIL must be held.
inline bool IsUnconstructed(PyObject* object, const pybind11::detail::type_info* bound) {
  // Objects of other types are not ours to refuse: pybind11's caster decides about them.
  return PyObject_TypeCheck(object, bound->type) && ConstructedValue(object, bound) == nullptr;
}

// Raises RuntimeError: `object` (of a bound class) has no C++ object.
[[noreturn]] void RaiseUnconstructed(PyObject* object);

// The constructed C++ object of `self`, an instance of the class bound for T or of a subclass;
// raises RuntimeError if it has none. For entry points that bypass pybind11's casters.
template <typename T>
T* ConstructedSelf(PyObject* self) {
  void* value = ConstructedValue(self, BoundType<T>());
  if (value == nullptr) RaiseUnconstructed(self);
  return static_cast<T*>(value);
}

// Calls `init` (a bound class's original __init__) as init(self, *args, **kwargs), args and
// kwnames in CPython's vectorcall convention, unless `self` is an instance of `bound` whose C++
// object exists already: then it raises RuntimeError (returns nullptr with the error set).
PyObject* InitOnce(PyObject* init, const pybind11::detail::type_info* bound, PyObject* self,
                   PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames);

// Makes T's __init__ raise RuntimeError on an instance whose C++ object exists already. pybind11
// ignores a second __init__ without a word, so `db.__init__(other_path)` would leave `db` open on
// its first directory. For every class a program can construct (DB, Transaction, BackupEngine,
// Snapshot, Iterator, RawIterator, WriteBatch); call it once, after T's py::init.
//
// The new __init__ is a plain CPython method (vectorcall), not a pybind11 function: pybind11
// would skip a function *named* __init__ on a constructed instance as it skips its own, and its
// dispatcher would add ~0.5 us to every construction (an iterator's included).
template <typename T, typename... Options>
void RefuseSecondInit(pybind11::class_<T, Options...>& cls) {
  // One guard per T: the method's C function has no other place for T's original __init__.
  static PyObject* original = nullptr;  // a strong reference, kept for the process's life
  static PyMethodDef def = {
      "__init__",
      reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(
          +[](PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
            return InitOnce(original, BoundType<T>(), self, args, nargs, kwnames);
          })),
      METH_FASTCALL | METH_KEYWORDS, nullptr};
  if (original != nullptr) pybind11::pybind11_fail("RefuseSecondInit: a second call for one class");
  original = pybind11::object(cls.attr("__init__")).release().ptr();
  PyObject* descriptor = PyDescr_NewMethod(reinterpret_cast<PyTypeObject*>(cls.ptr()), &def);
  if (descriptor == nullptr) throw pybind11::error_already_set();
  pybind11::setattr(cls, "__init__", pybind11::reinterpret_steal<pybind11::object>(descriptor));
}

// The caster of a bound class T that refuses an unconstructed instance (above).
template <typename T>
class ConstructedCaster : public pybind11::detail::type_caster_base<T> {
 public:
  bool load(pybind11::handle source, bool convert) {
    if (IsUnconstructed(source.ptr(), BoundType<T>())) RaiseUnconstructed(source.ptr());
    return pybind11::detail::type_caster_base<T>::load(source, convert);
  }
};

}  // namespace ziggydb::python

#define ZIGGYDB_PYTHON_REQUIRE_CONSTRUCTED(T)                               \
  namespace pybind11::detail {                                              \
  template <>                                                               \
  class type_caster<T> : public ::ziggydb::python::ConstructedCaster<T> {}; \
  }  // namespace pybind11::detail

#endif  // ZIGGYDB_PYTHON_CONSTRUCTED_H_
