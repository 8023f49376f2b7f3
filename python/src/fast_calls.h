// The hot calls without pybind11's dispatcher: DB.get, DB.put and next() on an Iterator.
//
// pybind11 finds the C++ object behind `self` and converts each argument through a hash lookup of
// its C++ type, which cost more than the engine's work in a profile of reads from cached tables
// (docs/design/python.md, Performance). These entry points take their arguments as CPython's
// vectorcall convention hands them (METH_FASTCALL | METH_KEYWORDS, tp_iternext), take `self` from
// the pybind11 instance directly, and reuse the same DBObject/IteratorObject code, so their
// behaviour (arguments, errors, GIL release) is that of the bound methods they replace.
#ifndef ZIGGYDB_PYTHON_FAST_CALLS_H_
#define ZIGGYDB_PYTHON_FAST_CALLS_H_

#include <pybind11/pybind11.h>

namespace ziggydb::python {

// Replaces get and put of the bound DB class `db_class`.
void InstallFastDBCalls(pybind11::handle db_class);

// Sets the tp_iternext slot of the bound Iterator class `iterator_class`.
void InstallFastIteratorNext(pybind11::handle iterator_class);

}  // namespace ziggydb::python

#endif  // ZIGGYDB_PYTHON_FAST_CALLS_H_
