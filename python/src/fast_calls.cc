#include "fast_calls.h"

#include <exception>
#include <new>
#include <string>

#include "constructed.h"
#include "db_object.h"
#include "iterator_object.h"

namespace py = pybind11;

namespace ziggydb::python {
namespace {

// Runs `body`, turning a C++ exception into the pending Python error CPython expects with a
// nullptr result (as pybind11's dispatcher does for bound methods).
template <typename Body>
PyObject* Guarded(Body&& body) noexcept {
  try {
    return body();
  } catch (py::error_already_set& e) {
    e.restore();
  } catch (py::builtin_exception& e) {
    e.set_error();
  } catch (const std::bad_alloc&) {
    PyErr_NoMemory();
  } catch (const std::exception& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
  }
  return nullptr;
}

// Arguments of one call: `positional` names in order, then keyword-only ones. Values are borrowed
// references (nullptr: not given).
struct Arguments {
  static constexpr int kMax = 4;
  PyObject* values[kMax] = {};
};

void ParseArguments(const char* function, const char* const* names, int positional_count, int count,
                    PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames, Arguments* out) {
  if (nargs > positional_count) {
    throw py::type_error(std::string(function) + "() takes at most " +
                         std::to_string(positional_count) + " positional arguments (" +
                         std::to_string(nargs) + " given)");
  }
  for (Py_ssize_t i = 0; i < nargs; ++i)
    out->values[i] = args[i];
  const Py_ssize_t keywords = kwnames == nullptr ? 0 : PyTuple_GET_SIZE(kwnames);
  for (Py_ssize_t k = 0; k < keywords; ++k) {
    PyObject* name = PyTuple_GET_ITEM(kwnames, k);
    int index = 0;
    while (index < count && PyUnicode_CompareWithASCIIString(name, names[index]) != 0)
      ++index;
    if (index == count) {
      throw py::type_error(std::string(function) + "() got an unexpected keyword argument '" +
                           py::str(name).cast<std::string>() + "'");
    }
    if (out->values[index] != nullptr) {
      throw py::type_error(std::string(function) + "() got multiple values for argument '" +
                           names[index] + "'");
    }
    out->values[index] = args[nargs + k];
  }
}

bool Flag(PyObject* value, bool default_value) {
  if (value == nullptr) return default_value;
  const int truth = PyObject_IsTrue(value);
  if (truth < 0) throw py::error_already_set();
  return truth != 0;
}

PyObject* Required(PyObject* value, const char* function, const char* name) {
  if (value == nullptr) {
    throw py::type_error(std::string(function) + "() missing required argument '" + name + "'");
  }
  return value;
}

PyObject* DBGet(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  return Guarded([&]() -> PyObject* {
    static const char* const kNames[] = {"key", "default", "verify_checksums", "fill_cache"};
    Arguments a;
    ParseArguments("get", kNames, 2, 4, args, nargs, kwnames, &a);
    PyObject* key = Required(a.values[0], "get", "key");
    ReadOptions options;
    options.verify_checksums = Flag(a.values[2], false);
    options.fill_cache = Flag(a.values[3], true);
    py::handle default_value = a.values[1] == nullptr ? Py_None : a.values[1];
    return ConstructedSelf<DBObject>(self)->Get({}, key, default_value, options).release().ptr();
  });
}

PyObject* DBPut(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  return Guarded([&]() -> PyObject* {
    static const char* const kNames[] = {"key", "value", "sync"};
    Arguments a;
    ParseArguments("put", kNames, 2, 3, args, nargs, kwnames, &a);
    PyObject* key = Required(a.values[0], "put", "key");
    PyObject* value = Required(a.values[1], "put", "value");
    ConstructedSelf<DBObject>(self)->Put({}, key, value, Flag(a.values[2], false));
    Py_RETURN_NONE;
  });
}

PyObject* IteratorNext(PyObject* self) {
  // tp_iternext: nullptr without an exception set means the end.
  return Guarded(
      [&]() -> PyObject* { return ConstructedSelf<IteratorObject>(self)->NextOrNull(); });
}

PyMethodDef db_get_def = {
    "get", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(&DBGet)),
    METH_FASTCALL | METH_KEYWORDS,
    "get(key, default=None, *, verify_checksums=False, fill_cache=True)\n--\n\n"
    "The value stored under key, or default if there is none."};
PyMethodDef db_put_def = {
    "put", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(&DBPut)),
    METH_FASTCALL | METH_KEYWORDS, "put(key, value, *, sync=False)\n--\n\nStores value under key."};

void SetMethod(py::handle cls, PyMethodDef* def) {
  PyObject* descriptor = PyDescr_NewMethod(reinterpret_cast<PyTypeObject*>(cls.ptr()), def);
  if (descriptor == nullptr) throw py::error_already_set();
  py::setattr(cls, def->ml_name, py::reinterpret_steal<py::object>(descriptor));
}

}  // namespace

void InstallFastDBCalls(py::handle db_class) {
  SetMethod(db_class, &db_get_def);
  SetMethod(db_class, &db_put_def);
}

void InstallFastIteratorNext(py::handle iterator_class) {
  auto* type = reinterpret_cast<PyTypeObject*>(iterator_class.ptr());
  type->tp_iternext = &IteratorNext;
  PyType_Modified(type);
}

}  // namespace ziggydb::python
