// Python values to voxcache Values and back (docs/python.md, "Values").
// Who owns a buffer that crosses:
// - a Volume put from Python views the NumPy buffer for the call only; the
//   memory tier never keeps that view (MemoryTier::put_computed copies);
// - a volume read into Python is a writable NumPy array over a buffer no one
//   else holds: the C++ buffer itself when the caller's Value was its only
//   holder (a region, a slice, a decode the memory tier did not keep), else
//   a private copy (the memory tier shares the decoded volume). Writing into
//   it never changes what a later get returns.
// - lists and tuples follow the same rules item by item: a volume item of a
//   decoded list views the list's buffer, so its array is always a copy.
// Nothing is ever pickled: a cache file must not be able to run code.

#ifndef VOXCACHE_PYTHON_CONVERT_H_
#define VOXCACHE_PYTHON_CONVERT_H_

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>
#include <string>

#include "voxcache/cache.h"

namespace voxcache::python {

namespace py = pybind11;

// Tags of the Python values that are not built-in kinds; their payloads
// are stored as given (docs/python.md).
inline constexpr const char* kBytesTag = "py.bytes";    // the bytes
inline constexpr const char* kJsonTag = "py.json";      // UTF-8 JSON text
inline constexpr const char* kArrayTag = "py.ndarray";  // header + C-order bytes
// A NumPy scalar (np.int64, np.float32, np.bool_, ...): py.ndarray's
// framing of its 0-d array, read back as the scalar of the same dtype.
inline constexpr const char* kScalarTag = "py.numpy-scalar";

// The name of obj's type ("int", "ndarray"), for errors.
std::string type_name(const py::handle& obj);

// A str's bytes: UTF-8, with a lone surrogate (U+D800 to U+DFFF, which
// UTF-8 cannot hold and file names decoded with surrogateescape carry) as
// its own three bytes ("surrogatepass"), so every str is stored exactly.
std::string str_bytes(const py::handle& s);
// The str stored as str_bytes; a C++ string that is neither comes back as
// bytes.
py::object str_of_bytes(const std::string& bytes);

// Canonical JSON text of a dict or list (a value, metadata), or TypeError
// naming `what`: for a dict key that is not a str and a tuple, which JSON
// would silently turn into "1" and a list, and for anything not JSON.
// NumPy numbers inside are written as the Python numbers they equal. A
// lone surrogate in a str inside is kept as JSON's escape (\ud800) when
// `lone_surrogates` allows it (values, read back by Python's json), else a
// ValueError (metadata, which the library parses as UTF-8 JSON).
std::string json_text(const py::handle& obj, const std::string& what, bool lone_surrogates = true);

// A registry that knows the tags above, for Options::types.
std::shared_ptr<const TypeRegistry> python_types();

// Raises voxcache's Python exception for a failed status (KeyError for
// NotFound, ValueError for InvalidArgument, CorruptionError, ...).
[[noreturn]] void raise(const Status& s);
inline void check(const Status& s) {
  if (!s.ok()) raise(s);
}
template <typename T>
T take(Result<T> r) {
  if (!r.ok()) raise(r.status());
  return std::move(r).value();
}

// The Python class voxcache.Volume, registered by the pure-Python layer.
void set_volume_class(py::object cls);

// A Python int as int64; ValueError naming `what` past the int64 range.
int64_t int64_of(const py::handle& obj, const char* what);

// Python -> Value. TypeError for anything without a mapping (objects,
// sets, object arrays, ...), ValueError for an int past int64 or a Volume
// whose array or geometry is malformed. A Volume's voxels are viewed, not
// copied: the Value holds a reference to the array, dropped under the GIL.
// Needs the GIL.
Value to_value(const py::handle& obj);
// Just the volume: `obj` must be a voxcache.Volume.
Volume to_volume(const py::handle& obj);

// Value -> Python, needs the GIL. A volume becomes a voxcache.Volume whose
// array the caller owns (above): the C++ buffer when `v` holds it alone,
// else a copy made without the GIL.
py::object from_value(Value v);
py::object from_volume(std::shared_ptr<const Volume> v);
// The NumPy shape of a layout's voxels: ([t,] [z,] y, x [, components]).
std::vector<py::ssize_t> array_shape(const VolumeLayout& l);
py::object from_volume(Volume v);

// The NumPy dtype of a pixel type, and back (TypeError for other dtypes).
py::dtype dtype_of(PixelType t);
PixelType pixel_type_of(const py::dtype& d);

// Parses a layout name ("z-slabs", "bricks", "bricks 32x32x16").
ChunkLayout layout_of(const std::string& text);

}  // namespace voxcache::python

#endif  // VOXCACHE_PYTHON_CONVERT_H_
