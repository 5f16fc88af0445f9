// Keys from Python: key arguments, keys given as a Key, a KeyBuilder or hex,
// and the Key and KeyBuilder classes of voxcache._core.

#ifndef VOXCACHE_PYTHON_KEYS_H_
#define VOXCACHE_PYTHON_KEYS_H_

#include <pybind11/pybind11.h>

#include "voxcache/key.h"

namespace voxcache::python {

namespace py = pybind11;

// A recipe argument: bool, int, float, str, bytes or a (nested) list of them.
KeyArg key_arg(const py::handle& v);
// A key given as a Key, a KeyBuilder (its build()) or 64 hex digits.
OperationKey key_of(const py::handle& k);
// The recipe of a key given as a KeyBuilder, else nullptr.
const KeyBuilder* recipe_of(const py::handle& k);

// Adds Key and KeyBuilder to the module.
void bind_keys(py::module_& m);

}  // namespace voxcache::python

#endif  // VOXCACHE_PYTHON_KEYS_H_
