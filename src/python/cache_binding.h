// voxcache._core's _Cache, _VolumeWriter and _VolumeReader: the Cache's calls
// from Python, each releasing the GIL around what compresses, decompresses
// or touches SQLite, and statuses as Python exceptions.

#ifndef VOXCACHE_PYTHON_CACHE_BINDING_H_
#define VOXCACHE_PYTHON_CACHE_BINDING_H_

#include <pybind11/pybind11.h>

namespace voxcache::python {

namespace py = pybind11;

// Adds _Cache, _VolumeWriter and _VolumeReader to the module.
void bind_cache(py::module_& m);

}  // namespace voxcache::python

#endif  // VOXCACHE_PYTHON_CACHE_BINDING_H_
