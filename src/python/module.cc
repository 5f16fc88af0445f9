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

#include "python/convert.h"
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

// --- keys ----------------------------------------------------------------------

KeyArg key_arg(const py::handle& v) {
  if (py::isinstance<py::bool_>(v)) return KeyArg(v.cast<bool>());
  if (py::isinstance<py::int_>(v)) return KeyArg(int64_of(v, "a key argument is"));
  if (py::isinstance<py::float_>(v)) return KeyArg(v.cast<double>());
  if (py::isinstance<py::str>(v)) return KeyArg(v.cast<std::string>());
  if (py::isinstance<py::bytes>(v)) return KeyArg::Bytes(v.cast<std::string>());
  if (py::isinstance<py::list>(v) || py::isinstance<py::tuple>(v)) {
    std::vector<KeyArg> items;
    for (const py::handle& item : v) items.push_back(key_arg(item));
    return KeyArg(std::move(items));
  }
  throw py::type_error("a key argument is a bool, int, float, str, bytes or a list of them, not " +
                       py::str(v.get_type().attr("__name__")).cast<std::string>() +
                       " (inputs are keys: KeyBuilder.input)");
}

// A key given as a Key, a KeyBuilder (its build()) or 64 hex digits.
OperationKey key_of(const py::handle& k) {
  if (py::isinstance<OperationKey>(k)) return k.cast<OperationKey>();
  if (py::isinstance<KeyBuilder>(k)) return k.cast<const KeyBuilder&>().build();
  if (py::isinstance<py::str>(k)) return take(OperationKey::FromHex(k.cast<std::string>()));
  throw py::type_error("a key is a voxcache.Key, a KeyBuilder or 64 hex digits");
}

const KeyBuilder* recipe_of(const py::handle& k) {
  return py::isinstance<KeyBuilder>(k) ? &k.cast<const KeyBuilder&>() : nullptr;
}

// --- the cache -------------------------------------------------------------------

py::object json_or_none(const std::string& text) {
  if (text.empty()) return py::none();
  return py::module_::import("json").attr("loads")(text);
}

py::dict info_dict(const EntryInfo& e) {
  py::dict d;
  d["key"] = e.key.hex();
  d["data_type"] = e.data_type;
  d["created_at_ms"] = e.created_at_ms;
  d["raw_bytes"] = e.raw_bytes;
  d["stored_bytes"] = e.stored_bytes;
  d["ratio"] = e.ratio();
  d["chunk_count"] = e.chunk_count;
  d["chunk_bytes"] = e.chunk_bytes;
  d["codec"] = e.codec;
  d["filter"] = e.filter;
  d["level"] = e.level;
  d["checksum"] = e.checksum;
  d["metadata"] = json_or_none(e.metadata);
  d["last_access_ms"] = e.last_access_ms;
  d["access_count"] = e.access_count;
  d["pinned"] = e.pinned;
  d["operation"] = e.operation.empty() ? py::object(py::none()) : py::str(e.operation);
  d["recipe"] = json_or_none(e.recipe_json);
  py::list inputs, dependents;
  for (const OperationKey& k : e.inputs) inputs.append(k.hex());
  for (const OperationKey& k : e.dependents) dependents.append(k.hex());
  d["inputs"] = inputs;
  d["dependents"] = dependents;
  d["intensity"] = json_or_none(e.intensity_json);
  d["problem"] = e.problem.empty() ? py::object(py::none()) : py::str(e.problem);
  if (e.volume) {
    const VolumeLayout& l = *e.volume;
    py::dict v;
    VolumeLayout one = l;
    one.components = 1;
    v["shape"] = py::tuple(py::cast(array_shape(one)));
    v["dtype"] = dtype_of(l.pixel_type).attr("name");
    v["components"] = l.components;
    v["dimension"] = l.dimension;
    v["frames"] = l.frames;
    v["time_spacing"] = l.geometry.time_spacing;
    v["time_origin"] = l.geometry.time_origin;
    v["spacing"] = l.geometry.spacing;
    v["origin"] = l.geometry.origin;
    v["direction"] = l.geometry.direction;
    d["volume"] = v;
    d["layout"] = e.layout.ToString();
  } else {
    d["volume"] = py::none();
    d["layout"] = py::none();
  }
  return d;
}

Options options_of(const py::dict& kw) {
  Options o;
  o.types = python_types();
  for (const auto& [k, v] : kw) {
    const std::string name = k.cast<std::string>();
    if (name == "create_if_missing")
      o.create_if_missing = v.cast<bool>();
    else if (name == "read_only")
      o.read_only = v.cast<bool>();
    else if (name == "verify_checksums")
      o.verify_checksums = v.cast<bool>();
    else if (name == "busy_timeout")
      o.busy_timeout = std::chrono::milliseconds(static_cast<int64_t>(v.cast<double>() * 1000));
    else if (name == "max_bytes")
      o.max_bytes = v.cast<uint64_t>();
    else if (name == "max_entries")
      o.max_entries = v.cast<uint64_t>();
    else if (name == "max_age")
      o.max_age = std::chrono::seconds(v.cast<int64_t>());
    else if (name == "max_database_bytes")
      o.max_database_bytes = v.cast<uint64_t>();
    else if (name == "compression_level")
      o.compression_level = v.cast<int>();
    else if (name == "chunk_bytes")
      o.chunk_bytes = v.cast<uint64_t>();
    else if (name == "threads")
      o.threads = v.cast<unsigned>();
    else if (name == "memory_budget_bytes")
      o.memory_budget_bytes = v.cast<uint64_t>();
    else if (name == "layout")
      o.layout = layout_of(v.cast<std::string>());
    else if (name == "remote")
      o.remote = v.cast<std::string>();
    else if (name == "remote_secret")
      o.remote_secret = v.cast<std::string>();
    else if (name == "remote_password")
      o.remote_password = v.cast<std::string>();
    else if (name == "remote_read_only")
      o.remote_read_only = v.cast<bool>();
    else if (name == "remote_timeout")
      o.remote_timeout = std::chrono::milliseconds(static_cast<int64_t>(v.cast<double>() * 1000));
    else if (name == "shuffle") {
      const std::string s = v.cast<std::string>();
      if (s == "auto")
        o.shuffle = ShuffleMode::kAuto;
      else if (s == "always")
        o.shuffle = ShuffleMode::kAlways;
      else if (s == "never")
        o.shuffle = ShuffleMode::kNever;
      else
        throw py::value_error("shuffle must be 'auto', 'always' or 'never'");
    } else {
      throw py::type_error("unknown Cache option '" + name + "'");
    }
  }
  return o;
}

class PyCache {
 public:
  PyCache(std::optional<std::string> path, const py::dict& options) {
    Options o = options_of(options);
    std::string p = path ? *path : take(Cache::DefaultPath());
    Result<std::unique_ptr<Cache>> c = Status::NotFound("");
    {
      py::gil_scoped_release nogil;
      c = Cache::Open(p, o);
    }
    cache_ = std::shared_ptr<Cache>(take(std::move(c)));  // raising needs the GIL
  }

  // Each call holds the Cache for its duration, so a close() from another
  // thread ends it only after the calls under way return.
  std::shared_ptr<Cache> get() {
    if (!cache_) throw py::value_error("the cache is closed");
    return cache_;
  }

  // fn(cache, key) run without the GIL; what it returns (a Status or a
  // Result) comes back to be raised, or converted, with the GIL.
  template <typename Fn>
  auto unlocked(const py::handle& k, Fn&& fn) {
    std::shared_ptr<Cache> held = get();
    Cache* c = held.get();
    const OperationKey key = key_of(k);
    std::optional<decltype(fn(c, key))> r;
    {
      py::gil_scoped_release nogil;
      r.emplace(fn(c, key));
    }
    return std::move(*r);
  }
  void close() {
    std::shared_ptr<Cache> c = std::move(cache_);
    py::gil_scoped_release nogil;
    c.reset();  // flushes access records: SQLite work
  }
  bool closed() const { return !cache_; }

  void put(const py::handle& k, const py::handle& value, const std::optional<std::string>& metadata,
           const std::optional<std::string>& layout) {
    std::shared_ptr<Cache> held = get();
    Cache* c = held.get();
    const OperationKey key = key_of(k);
    const KeyBuilder* recipe = recipe_of(k);
    Value v = to_value(value);
    std::optional<ChunkLayout> chunks;
    if (layout) chunks = layout_of(*layout);
    const std::string meta = metadata.value_or("");
    Status s;
    {
      py::gil_scoped_release nogil;
      if (chunks && v.as_volume()) {
        s = c->put(key, *v.as_volume(), *chunks, meta);
      } else {
        s = recipe ? c->put(*recipe, v, meta) : c->put(key, v, meta);
      }
    }
    check(s);
  }

  py::object get_value(const py::handle& k) {
    Result<Value> v = unlocked(k, [](Cache* c, const OperationKey& key) { return c->get(key); });
    if (v.status().is_not_found()) raise(Status::NotFound(key_of(k).hex()));
    return from_value(take(std::move(v)));
  }

  py::object get_or_compute(const py::handle& k, const py::function& fn,
                            const std::optional<std::string>& metadata) {
    std::shared_ptr<Cache> held = get();
    Cache* c = held.get();
    const OperationKey key = key_of(k);
    const KeyBuilder* recipe = recipe_of(k);
    std::exception_ptr raised;  // what fn raised, rethrown here with the GIL
    auto compute = [&]() -> Result<Value> {
      py::gil_scoped_acquire gil;
      try {
        return to_value(fn());
      } catch (...) {
        raised = std::current_exception();
        return Status::InvalidArgument("the computation raised");
      }
    };
    Status stored;
    Result<Value> v = Status::NotFound("");
    {
      py::gil_scoped_release nogil;
      const std::string meta = metadata.value_or("");
      v = recipe ? c->get_or_compute(*recipe, compute, meta, &stored)
                 : c->get_or_compute(key, compute, meta, &stored);
    }
    if (raised) std::rethrow_exception(raised);
    py::object out = from_value(take(std::move(v)));
    if (!stored.ok()) {  // the value stands; the failure to keep it is visible
      PyErr_WarnEx(PyExc_RuntimeWarning,
                   ("voxcache: computed but not stored: " + stored.to_string()).c_str(), 1);
    }
    return out;
  }

  bool contains(const py::handle& k) {
    return take(unlocked(k, [](Cache* c, const OperationKey& key) { return c->contains(key); }));
  }

  void erase(const py::handle& k) {
    check(unlocked(k, [](Cache* c, const OperationKey& key) { return c->erase(key); }));
  }

  py::dict info(const py::handle& k) {
    return info_dict(
        take(unlocked(k, [](Cache* c, const OperationKey& key) { return c->info(key); })));
  }

  // (z, y, x) start and size; (t, z, y, x) for frames of a series.
  py::object read_region(const py::handle& k, const std::vector<uint64_t>& start_zyx,
                         const std::vector<uint64_t>& size_zyx) {
    const size_t n = start_zyx.size();
    if ((n != 3 && n != 4) || size_zyx.size() != n) {
      throw py::value_error("read_region takes (z, y, x) start and size, or (t, z, y, x)");
    }
    const size_t o = n - 3;  // where z is
    const std::array<uint64_t, 3> start{start_zyx[o + 2], start_zyx[o + 1], start_zyx[o]};
    const std::array<uint64_t, 3> size{size_zyx[o + 2], size_zyx[o + 1], size_zyx[o]};
    return from_volume(take(unlocked(k, [&](Cache* c, const OperationKey& key) {
      return n == 4 ? c->read_region(key, start, size, start_zyx[0], size_zyx[0])
                    : c->read_region(key, start, size);
    })));
  }

  py::object read_slice(const py::handle& k, int axis, uint64_t index) {
    return from_volume(take(unlocked(
        k, [&](Cache* c, const OperationKey& key) { return c->read_slice(key, axis, index); })));
  }

  py::dict stats() {
    // Never wait for the library's locks holding the GIL: a thread inside
    // may need the GIL to drop a NumPy array it held.
    std::shared_ptr<Cache> held = get();
    Cache* c = held.get();
    CacheStats s;
    {
      py::gil_scoped_release nogil;
      s = c->stats();
    }
    py::dict d;
    d["memory_hits"] = s.memory_hits;
    d["disk_hits"] = s.disk_hits;
    d["misses"] = s.misses;
    d["puts"] = s.puts;
    d["memory_bytes"] = s.memory_bytes;
    d["memory_entries"] = s.memory_entries;
    d["remote_hits"] = s.remote_hits;
    d["remote_misses"] = s.remote_misses;
    d["remote_errors"] = s.remote_errors;
    d["remote_push_failures"] = s.remote_push_failures;
    d["remote_rejected"] = s.remote_rejected;
    d["remote"] = s.remote;
    d["remote_status"] = s.remote_status;
    Result<StoredStats> st = Status::NotFound("");
    {
      py::gil_scoped_release nogil;
      st = c->stored_stats();
    }
    const StoredStats stored = take(std::move(st));
    d["entries"] = stored.entries;
    d["stored_bytes"] = stored.stored_bytes;
    d["raw_bytes"] = stored.raw_bytes;
    py::dict counters;
    for (const StoredStats::Counter& k : stored.counters) {
      if (k.data_type.empty()) counters[py::str(k.name)] = k.value;
    }
    d["counters"] = counters;
    return d;
  }

  py::dict gc(uint64_t max_bytes, uint64_t max_entries, int64_t max_age) {
    Limits l;
    l.max_bytes = max_bytes;
    l.max_entries = max_entries;
    l.max_age = std::chrono::seconds(max_age);
    std::shared_ptr<Cache> held = get();
    Cache* c = held.get();
    Result<GcReport> r = Status::NotFound("");
    {
      py::gil_scoped_release nogil;
      r = c->gc(l);
    }
    const GcReport g = take(std::move(r));
    py::list removed;
    for (const OperationKey& k : g.removed) removed.append(k.hex());
    py::dict d;
    d["removed"] = removed;
    d["freed_bytes"] = g.freed_bytes;
    d["entries_left"] = g.entries_left;
    d["bytes_left"] = g.bytes_left;
    d["limits_met"] = g.limits_met;
    return d;
  }

  void verify(const py::handle& k) {
    check(unlocked(k, [](Cache* c, const OperationKey& key) { return c->verify(key); }));
  }

  py::list list() {
    std::shared_ptr<Cache> held = get();
    Cache* c = held.get();
    Result<std::vector<EntryInfo>> r = Status::NotFound("");
    {
      py::gil_scoped_release nogil;
      r = c->list();
    }
    py::list out;
    for (const EntryInfo& e : take(std::move(r))) out.append(info_dict(e));
    return out;
  }

 private:
  std::shared_ptr<Cache> cache_;
};

// Streams: a writer fed volume-order buffers, a reader of z-ordered slabs.
// Each holds the Cache it streams from, which outlives it even when closed.
class PyVolumeWriter {
 public:
  PyVolumeWriter(std::unique_ptr<VolumeWriter> w, std::shared_ptr<Cache> cache, PixelType type)
      : cache_(std::move(cache)), w_(std::move(w)), type_(type) {}
  void write(const py::buffer& data) {
    if (!w_) throw py::value_error("the writer is committed or abandoned");
    if (!py::memoryview(data).attr("c_contiguous").cast<bool>()) {
      throw py::value_error("write() takes C-contiguous data (x fastest)");
    }
    // An array's bytes are taken as they are, so its dtype must be the
    // volume's: a float64 piece in a float32 volume would be reinterpreted.
    // Other buffers (bytes, bytearray) are raw little-endian voxel bytes.
    if (py::isinstance<py::array>(data)) {
      const py::dtype d = py::reinterpret_borrow<py::array>(data).dtype();
      // A bool piece is 0 and 1 bytes: a mask, or a u8 volume's voxels.
      const bool fits = d.kind() == 'b' ? type_ == PixelType::kBool || type_ == PixelType::kUInt8
                                        : pixel_type_of(d) == type_;
      if (!fits) {
        throw py::type_error("write() got a " + py::str(d.attr("name")).cast<std::string>() +
                             " piece for a volume of " +
                             py::str(dtype_of(type_).attr("name")).cast<std::string>() +
                             " voxels; convert it with .astype() first");
      }
    }
    py::buffer_info b = data.request();
    const uint64_t bytes = static_cast<uint64_t>(b.size * b.itemsize);
    Status s;
    {
      py::gil_scoped_release nogil;
      s = w_->write(b.ptr, bytes);
    }
    check(s);
  }
  void commit() {
    if (!w_) throw py::value_error("the writer is committed or abandoned");
    std::unique_ptr<VolumeWriter> w = std::move(w_);
    Status s;
    {
      py::gil_scoped_release nogil;
      s = w->commit();
      w.reset();
    }
    check(s);
  }
  void abandon() {
    py::gil_scoped_release nogil;
    w_.reset();  // nothing of it is stored
  }

 private:
  std::shared_ptr<Cache> cache_;  // before w_: destroyed after it
  std::unique_ptr<VolumeWriter> w_;
  const PixelType type_;
};

class PyVolumeReader {
 public:
  PyVolumeReader(std::unique_ptr<VolumeReader> r, std::shared_ptr<Cache> cache)
      : cache_(std::move(cache)), r_(std::move(r)) {}
  py::object empty_volume() {  // the geometry, with a 0-slice array
    VolumeLayout l = r_->layout();
    return from_volume(take(Volume::Create(l)));
  }
  // (first z, slab array of shape (nz, y, x[, c])), or None at the end; the
  // slab is a copy, as the reader reuses its buffer.
  py::object next() {
    Result<VolumeReader::Slab> s = Status::NotFound("");
    {
      py::gil_scoped_release nogil;
      s = r_->next();
    }
    const VolumeReader::Slab slab = take(std::move(s));
    if (slab.bytes == 0) return py::none();
    const VolumeLayout& l = r_->layout();
    const uint64_t slice = l.size[0] * l.size[1] * l.components * pixel_type_size(l.pixel_type);
    if (slab.offset % slice || slab.bytes % slice) {
      raise(Status::Corruption("a streamed slab that is not whole slices"));
    }
    std::vector<py::ssize_t> shape = {static_cast<py::ssize_t>(slab.bytes / slice),
                                      static_cast<py::ssize_t>(l.size[1]),
                                      static_cast<py::ssize_t>(l.size[0])};
    if (l.components > 1) shape.push_back(static_cast<py::ssize_t>(l.components));
    py::array a(dtype_of(l.pixel_type), shape);
    std::memcpy(a.mutable_data(), slab.data, slab.bytes);
    return py::make_tuple(slab.offset / slice, a);
  }

 private:
  std::shared_ptr<Cache> cache_;  // before r_: destroyed after it
  std::unique_ptr<VolumeReader> r_;
};

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

  py::class_<OperationKey>(m, "Key", "A 32-byte SHA-256 operation key.")
      .def_static(
          "from_hex", [](const std::string& h) { return take(OperationKey::FromHex(h)); },
          "The key of 64 hex digits.")
      .def_property_readonly("hex", &OperationKey::hex, "64 lower-case hex digits.")
      .def_property_readonly("bytes",
                             [](const OperationKey& k) {
                               return py::bytes(reinterpret_cast<const char*>(k.bytes().data()),
                                                k.bytes().size());
                             })
      .def("__eq__", [](const OperationKey& a, const OperationKey& b) { return a == b; })
      .def("__hash__", [](const OperationKey& k) { return std::hash<OperationKey>()(k); })
      .def("__str__", &OperationKey::hex)
      .def("__repr__", [](const OperationKey& k) { return "voxcache.Key('" + k.hex() + "')"; });

  py::class_<KeyBuilder>(m, "KeyBuilder",
                         "Builds an operation key from a recipe: the operation's name, its "
                         "arguments in order, and the keys of its inputs (docs/format.md 3.1).")
      .def(py::init<std::string_view>(), py::arg("operation"))
      .def(
          "arg",
          [](KeyBuilder& b, const std::string& name, const py::handle& v) -> KeyBuilder& {
            return b.arg(name, key_arg(v));
          },
          py::arg("name"), py::arg("value"), py::return_value_policy::reference_internal,
          "Adds an argument: bool, int, float, str, bytes, or a list of them.")
      .def(
          "input",
          [](KeyBuilder& b, const py::handle& k) -> KeyBuilder& { return b.input(key_of(k)); },
          py::arg("key"), py::return_value_policy::reference_internal,
          "Adds the key of an input (a Key, a KeyBuilder or 64 hex digits).")
      .def("build", &KeyBuilder::build, "The SHA-256 key of the canonical encoding.")
      .def("canonical_encoding",
           [](const KeyBuilder& b) { return py::bytes(b.canonical_encoding()); })
      .def_property_readonly("operation", &KeyBuilder::operation);

  m.def(
      "content_key", [](const py::handle& v) { return content_key(to_volume(v)); },
      py::arg("volume"), "The key of a volume's voxels and geometry (docs/format.md 3.2).");
  m.def("_set_volume_class", &set_volume_class);
  m.def("_default_path", [] { return take(Cache::DefaultPath()); });

  py::class_<PyCache>(m, "_Cache")
      .def(py::init<std::optional<std::string>, const py::dict&>())
      .def("close", &PyCache::close)
      .def_property_readonly("closed", &PyCache::closed)
      .def_property_readonly("path", [](PyCache& c) { return c.get()->path(); })
      .def("put", &PyCache::put)
      .def("get", &PyCache::get_value)
      .def("get_or_compute", &PyCache::get_or_compute)
      .def("contains", &PyCache::contains)
      .def("erase", &PyCache::erase)
      .def("info", &PyCache::info)
      .def("read_region", &PyCache::read_region)
      .def("read_slice", &PyCache::read_slice)
      .def("stats", &PyCache::stats)
      .def("gc", &PyCache::gc)
      .def("verify", &PyCache::verify)
      .def("list", &PyCache::list)
      .def(
          "write_volume",
          [](PyCache& c, const py::handle& k, std::array<uint64_t, 3> shape_zyx,
             const py::dtype& dtype, uint32_t components, std::array<double, 3> spacing,
             std::array<double, 3> origin, std::array<double, 9> direction,
             const std::optional<std::string>& metadata, const std::optional<std::string>& layout) {
            VolumeLayout l;
            l.pixel_type = pixel_type_of(dtype);
            l.components = components;
            l.size = {shape_zyx[2], shape_zyx[1], shape_zyx[0]};
            l.geometry.spacing = spacing;
            l.geometry.origin = origin;
            l.geometry.direction = direction;
            std::shared_ptr<Cache> held = c.get();
            Cache* cache = held.get();
            const OperationKey key = key_of(k);
            std::optional<ChunkLayout> chunks;
            if (layout) chunks = layout_of(*layout);
            Result<std::unique_ptr<VolumeWriter>> w = Status::NotFound("");
            {
              py::gil_scoped_release nogil;
              const std::string meta = metadata.value_or("");
              w = chunks ? cache->write_volume(key, l, *chunks, meta)
                         : cache->write_volume(key, l, meta);
            }
            return PyVolumeWriter(take(std::move(w)), held, l.pixel_type);
          })
      .def("read_volume", [](PyCache& c, const py::handle& k) {
        std::shared_ptr<Cache> held = c.get();
        Cache* cache = held.get();
        const OperationKey key = key_of(k);
        Result<std::unique_ptr<VolumeReader>> r = Status::NotFound("");
        {
          py::gil_scoped_release nogil;
          r = cache->read_volume(key);
        }
        if (r.status().is_not_found()) raise(Status::NotFound(key.hex()));
        return PyVolumeReader(take(std::move(r)), held);
      });

  py::class_<PyVolumeWriter>(m, "_VolumeWriter")
      .def("write", &PyVolumeWriter::write)
      .def("commit", &PyVolumeWriter::commit)
      .def("abandon", &PyVolumeWriter::abandon);
  py::class_<PyVolumeReader>(m, "_VolumeReader")
      .def("empty_volume", &PyVolumeReader::empty_volume)
      .def("next", &PyVolumeReader::next);
}
