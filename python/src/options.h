// Engine Options from the dict that ziggydb.DB builds out of its keyword arguments (the plyvel
// names are mapped onto ZiggyDB's in ziggydb/_options.py; this file sees ZiggyDB's names only).
#ifndef ZIGGYDB_PYTHON_OPTIONS_H_
#define ZIGGYDB_PYTHON_OPTIONS_H_

#include <pybind11/pybind11.h>

#include "ziggydb/options.h"

namespace ziggydb::python {

// Sets each field named in `settings` (ZiggyDB's option names) on *options. An unknown name raises
// TypeError, a value of the wrong type TypeError, an unknown enum name ValueError, an integer that
// does not fit its field InvalidArgument naming the option; narrower ranges are left to
// Options::Validate (DB::Open reports them as InvalidArgument too).
void ApplyOptions(const pybind11::dict& settings, Options* options);

}  // namespace ziggydb::python

#endif  // ZIGGYDB_PYTHON_OPTIONS_H_
