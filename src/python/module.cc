// voxcache._core: the C++ library to Python (docs/python.md). Thin: the
// pure-Python package (python/voxcache) holds Volume, memoize and the
// conveniences; this file maps calls, statuses and values, and releases the
// GIL around everything that compresses, decompresses or touches SQLite.

#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <exception>
#include <optional>

#include "python/cache_binding.h"
#include "python/convert.h"
#include "python/keys.h"
#include "python/stream_binding.h"
#include "voxcache/key.h"
#include "voxcache/stream.h"
#include "voxcache/version.h"

namespace voxcache::python {
namespace {

// The exception classes, created at import and never released.
struct Errors {
  PyObject* error;
  PyObject* corruption;
  PyObject* io;
  PyObject* not_supported;
  PyObject* busy;
};
Errors g_errors;

PyObject* new_error(py::module_& m, const char* name, PyObject* bases, const char* doc) {
  PyObject* cls =
      PyErr_NewExceptionWithDoc((std::string("voxcache.") + name).c_str(), doc, bases, nullptr);
  if (!cls) throw py::error_already_set();
  m.attr(name) = py::handle(cls);
  return cls;
}

}  // namespace

[[noreturn]] void raise(const Status& s) {
  const std::string msg = s.message();
  switch (s.code()) {
    case Status::Code::kNotFound:
      throw py::key_error(msg);
    case Status::Code::kInvalidArgument:
      throw py::value_error(msg);
    case Status::Code::kCorruption:
      PyErr_SetString(g_errors.corruption, msg.c_str());
      break;
    case Status::Code::kIOError:
      PyErr_SetString(g_errors.io, msg.c_str());
      break;
    case Status::Code::kNotSupported:
      PyErr_SetString(g_errors.not_supported, msg.c_str());
      break;
    case Status::Code::kBusy:
      PyErr_SetString(g_errors.busy, msg.c_str());
      break;
    default:
      PyErr_SetString(g_errors.error, s.to_string().c_str());
      break;
  }
  throw py::error_already_set();
}

}  // namespace voxcache::python

PYBIND11_MODULE(_core, m) {
  using namespace voxcache;
  using namespace voxcache::python;
  namespace py = pybind11;
  m.doc() = "The voxcache C++ library; use the voxcache package, not this module.";
  m.attr("__version__") = version().voxcache;

  g_errors.error = new_error(m, "Error", PyExc_Exception, "Base of voxcache's own errors.");
  g_errors.corruption = new_error(m, "CorruptionError", g_errors.error,
                                  "A stored entry failed its checks; no wrong value is returned.");
  g_errors.io = new_error(
      m, "IOError",
      py::make_tuple(py::handle(g_errors.error), py::handle(PyExc_OSError)).release().ptr(),
      "The database could not be read or written (disk full, permissions).");
  g_errors.not_supported =
      new_error(m, "NotSupportedError", g_errors.error,
                "Written by a newer voxcache, or a value type not known here.");
  g_errors.busy = new_error(
      m, "BusyError",
      py::make_tuple(py::handle(g_errors.error), py::handle(PyExc_TimeoutError)).release().ptr(),
      "Another connection held a lock for longer than busy_timeout.");

  bind_keys(m);

  m.def(
      "content_key", [](const py::handle& v) { return content_key(to_volume(v)); },
      py::arg("volume"), "The key of a volume's voxels and geometry (docs/format.md 3.2).");
  m.def("_set_volume_class", &set_volume_class);
  m.def("_json_text", &json_text, py::arg("obj"), py::arg("what"),
        py::arg("lone_surrogates") = true);
  m.def("_default_path", [] { return take(Cache::DefaultPath()); });

  bind_cache(m);
  bind_streams(m);
}
