// The exception hierarchy of the ziggydb module, rooted at ziggydb.Error, and the translation of an
// engine Status into it.
//
//   Error                      any engine failure
//   ├── NotFound               (reads of an absent key return the default instead)
//   ├── CorruptionError        bad bytes on disk or in a batch
//   ├── IOError (also OSError) the file system failed
//   ├── InvalidArgument (also ValueError)
//   ├── NotSupported (also NotImplementedError)
//   ├── Busy                   the DB is open elsewhere, or a transaction conflicted: retry
//   └── IteratorInvalidError   a raw iterator was read or moved while not valid
//
// The names plyvel uses (Error, IOError, CorruptionError, IteratorInvalidError) mean the same here.
// Every function here needs the GIL.
#ifndef ZIGGYDB_PYTHON_ERRORS_H_
#define ZIGGYDB_PYTHON_ERRORS_H_

#include <pybind11/pybind11.h>

#include "ziggydb/status.h"

namespace ziggydb::python {

// Creates the exception classes and adds them to `module`. Called once, at import.
void RegisterErrors(pybind11::module_& module);

// Raises the exception for a failed status (the class chosen by its code, the message its
// ToString()). Precondition: !status.ok().
[[noreturn]] void RaiseStatus(const Status& status);

// Raises IteratorInvalidError with `message`.
[[noreturn]] void RaiseIteratorInvalid(const char* message);

// Raises RuntimeError: plyvel's exception for any use of a closed DB, iterator or snapshot.
[[noreturn]] void RaiseClosed(const char* what);

}  // namespace ziggydb::python

#endif  // ZIGGYDB_PYTHON_ERRORS_H_
