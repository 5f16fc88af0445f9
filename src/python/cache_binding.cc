#include "python/cache_binding.h"

#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "python/convert.h"
#include "python/keys.h"
#include "python/stream_binding.h"
#include "voxcache/cache.h"
#include "voxcache/stream.h"

namespace voxcache::python {
namespace {

// --- the cache -------------------------------------------------------------------

// A call's PutOptions from its Python arguments; `recipe` is owned by the
// key object, which outlives the call. Needs the GIL (it reads `inputs`).
PutOptions put_options(const KeyBuilder* recipe, const std::optional<std::string>& metadata,
                       const std::optional<std::string>& layout,
                       const py::handle& inputs = py::handle()) {
  PutOptions o;
  if (inputs) {
    for (const py::handle& k : inputs) o.inputs.push_back(key_of(k));
  }
  o.metadata_json = metadata.value_or("");
  if (layout) o.layout = layout_of(*layout);
  o.recipe = recipe;
  return o;
}

// EntryInfo::ToJson's record, with `volume` in NumPy's terms: shape
// ([t,] [z,] y, x), dtype, and the geometry.
py::dict info_dict(const EntryInfo& e) {
  py::dict d = py::module_::import("json").attr("loads")(e.ToJson());
  if (!d.contains("problem")) d["problem"] = py::none();
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
  }
  return d;
}

std::chrono::milliseconds milliseconds_of(const py::handle& seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(seconds.cast<double>() * 1000));
}

// Every option: its name, what it takes (for the error when it is given
// something else) and how it is set, in one row, so the two cannot drift.
struct OptionSetter {
  const char* name;
  const char* takes;
  void (*set)(Options* o, const py::handle& v);
};

const OptionSetter kOptionSetters[] = {
    {"create_if_missing", "a bool",
     [](Options* o, const py::handle& v) { o->create_if_missing = v.cast<bool>(); }},
    {"read_only", "a bool", [](Options* o, const py::handle& v) { o->read_only = v.cast<bool>(); }},
    {"verify_checksums", "a bool",
     [](Options* o, const py::handle& v) { o->verify_checksums = v.cast<bool>(); }},
    {"allow_network_filesystem", "a bool",
     [](Options* o, const py::handle& v) { o->allow_network_filesystem = v.cast<bool>(); }},
    {"record_reads", "a bool",
     [](Options* o, const py::handle& v) { o->record_reads = v.cast<bool>(); }},
    {"busy_timeout", "a number of seconds",
     [](Options* o, const py::handle& v) { o->busy_timeout = milliseconds_of(v); }},
    {"max_bytes", "a non-negative int",
     [](Options* o, const py::handle& v) { o->max_bytes = v.cast<uint64_t>(); }},
    {"max_entries", "a non-negative int",
     [](Options* o, const py::handle& v) { o->max_entries = v.cast<uint64_t>(); }},
    {"max_age", "an int of seconds",
     [](Options* o, const py::handle& v) { o->max_age = std::chrono::seconds(v.cast<int64_t>()); }},
    {"max_database_bytes", "a non-negative int",
     [](Options* o, const py::handle& v) { o->max_database_bytes = v.cast<uint64_t>(); }},
    {"compression_level", "an int",
     [](Options* o, const py::handle& v) { o->compression_level = v.cast<int>(); }},
    {"codec", "a str",
     [](Options* o, const py::handle& v) {
       const std::optional<Codec> codec = parse_codec(v.cast<std::string>());
       if (!codec) throw py::value_error("codec must be 'zstd' or 'lz4'");
       o->codec = *codec;
     }},
    {"chunk_bytes", "a non-negative int",
     [](Options* o, const py::handle& v) { o->chunk_bytes = v.cast<uint64_t>(); }},
    {"threads", "a non-negative int",
     [](Options* o, const py::handle& v) { o->threads = v.cast<unsigned>(); }},
    {"memory_budget_bytes", "a non-negative int",
     [](Options* o, const py::handle& v) { o->memory_budget_bytes = v.cast<uint64_t>(); }},
    {"layout", "a str",
     [](Options* o, const py::handle& v) { o->layout = layout_of(v.cast<std::string>()); }},
    {"remote", "a str", [](Options* o, const py::handle& v) { o->remote = v.cast<std::string>(); }},
    {"remote_secret", "a str",
     [](Options* o, const py::handle& v) { o->remote_secret = v.cast<std::string>(); }},
    {"remote_password", "a str",
     [](Options* o, const py::handle& v) { o->remote_password = v.cast<std::string>(); }},
    {"remote_read_only", "a bool",
     [](Options* o, const py::handle& v) { o->remote_read_only = v.cast<bool>(); }},
    {"remote_timeout", "a number of seconds",
     [](Options* o, const py::handle& v) { o->remote_timeout = milliseconds_of(v); }},
    {"shuffle", "a str",
     [](Options* o, const py::handle& v) {
       const std::string s = v.cast<std::string>();
       if (s == "auto")
         o->shuffle = ShuffleMode::kAuto;
       else if (s == "always")
         o->shuffle = ShuffleMode::kAlways;
       else if (s == "never")
         o->shuffle = ShuffleMode::kNever;
       else
         throw py::value_error("shuffle must be 'auto', 'always' or 'never'");
     }},
};

Options options_of(const py::dict& kw) {
  Options o;
  o.types = python_types();
  for (const auto& [k, v] : kw) {
    const std::string name = k.cast<std::string>();
    const OptionSetter* setter = nullptr;
    for (const OptionSetter& s : kOptionSetters) {
      if (name == s.name) setter = &s;
    }
    if (!setter) throw py::type_error("unknown Cache option '" + name + "'");
    try {
      setter->set(&o, v);
    } catch (const py::cast_error&) {
      // pybind11's own message names neither the option nor the type.
      throw py::type_error("Cache option '" + name + "' must be " + setter->takes + ", not " +
                           type_name(v) + " " + py::repr(v).cast<std::string>());
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
    if (c.status().is_not_found()) {  // no file, and told not to create one
      PyErr_SetObject(PyExc_FileNotFoundError,
                      py::make_tuple(ENOENT, c.status().message(), p).ptr());
      throw py::error_already_set();
    }
    cache_ = std::shared_ptr<Cache>(take(std::move(c)));  // raising needs the GIL
  }

  // Each call holds the Cache for its duration, so a close() from another
  // thread ends it only after the calls under way return.
  std::shared_ptr<Cache> get() {
    if (!cache_) throw py::value_error("the cache is closed");
    return cache_;
  }

  // `fn(cache)` run without the GIL, on a Cache held for its duration.
  template <typename F>
  auto without_gil(F fn) {
    std::shared_ptr<Cache> held = get();
    std::optional<decltype(fn(held.get()))> r;
    {
      py::gil_scoped_release nogil;
      r.emplace(fn(held.get()));
    }
    return std::move(*r);
  }

  // fn(cache, key) run without the GIL; what it returns (a Status or a
  // Result) comes back to be raised, or converted, with the GIL.
  template <typename Fn>
  auto unlocked(const py::handle& k, Fn&& fn) {
    const OperationKey key = key_of(k);
    return without_gil([&](Cache* c) { return fn(c, key); });
  }

  // `fn(cache)` without the GIL, its result or its error raised.
  template <typename F>
  auto call(F fn) {
    return take(without_gil(fn));
  }

  void close() {
    std::shared_ptr<Cache> c = std::move(cache_);
    py::gil_scoped_release nogil;
    c.reset();  // flushes access records: SQLite work
  }
  bool closed() const { return !cache_; }

  // Whether it wrote the entry (false: the key was stored already).
  bool put(const py::handle& k, const py::handle& value, const std::optional<std::string>& metadata,
           const std::optional<std::string>& layout, const py::list& inputs, bool replace) {
    std::shared_ptr<Cache> held = get();
    Cache* c = held.get();
    const OperationKey key = key_of(k);
    const KeyBuilder* recipe = recipe_of(k);
    Value v = to_value(value);
    PutOptions options = put_options(recipe, metadata, layout, inputs);
    bool stored = false;
    options.stored = &stored;
    options.replace = replace;
    Status s;
    {
      py::gil_scoped_release nogil;
      s = c->put(key, v, options);
    }
    check(s);
    return stored;
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
    py::object unstorable;      // what fn returned that no value kind holds
    std::string why;
    auto compute = [&]() -> Result<Value> {
      py::gil_scoped_acquire gil;
      py::object result;
      try {
        result = fn();
      } catch (...) {
        raised = std::current_exception();
        return Status::InvalidArgument("the computation raised");
      }
      try {
        return to_value(result);
      } catch (py::type_error& e) {
        // The work is done: the caller gets it, unstored, as on a full disk.
        unstorable = std::move(result);
        why = e.what();
        return Status::InvalidArgument("the computed value cannot be stored");
      }
    };
    // Built with the GIL: its Python objects (the inputs list) are made here.
    const PutOptions options = put_options(recipe, metadata, std::nullopt);
    Status stored;
    Result<Value> v = Status::NotFound("");
    {
      py::gil_scoped_release nogil;
      v = c->get_or_compute(key, compute, options, &stored);
    }
    if (raised) std::rethrow_exception(raised);
    if (unstorable) {
      const std::string name = py::str(py::getattr(fn, "__qualname__", py::str("the computation")));
      PyErr_WarnEx(PyExc_RuntimeWarning,
                   ("voxcache: the result of " + name + ", of type " + type_name(unstorable) +
                    ", is returned but not stored: " + why)
                       .c_str(),
                   1);
      return unstorable;
    }
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
    const CacheStats s = without_gil([](Cache* c) { return c->stats(); });
    py::dict handle;  // this object's own, since it was opened
    handle["memory_hits"] = s.memory_hits;
    handle["disk_hits"] = s.disk_hits;
    handle["misses"] = s.misses;
    handle["puts"] = s.puts;
    handle["memory_bytes"] = s.memory_bytes;
    handle["memory_entries"] = s.memory_entries;
    handle["remote_hits"] = s.remote_hits;
    handle["remote_misses"] = s.remote_misses;
    handle["remote_errors"] = s.remote_errors;
    handle["remote_push_failures"] = s.remote_push_failures;
    handle["remote_rejected"] = s.remote_rejected;
    handle["remote"] = s.remote;
    handle["remote_status"] = s.remote_status;
    // The database's, as `voxcache stats --json` prints them.
    const StoredStats stored = call([](Cache* c) { return c->admin().stored_stats(); });
    py::dict d = py::module_::import("json").attr("loads")(stored.ToJson());
    d["handle"] = handle;
    return d;
  }

  py::dict gc(uint64_t max_bytes, uint64_t max_entries, int64_t max_age) {
    Limits l;
    l.max_bytes = max_bytes;
    l.max_entries = max_entries;
    l.max_age = std::chrono::seconds(max_age);
    const GcReport g = call([&](Cache* c) { return c->admin().gc(l); });
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
    check(unlocked(k, [](Cache* c, const OperationKey& key) { return c->admin().verify(key); }));
  }

  py::list list() {
    py::list out;
    for (const EntryInfo& e : call([](Cache* c) { return c->admin().list(); })) {
      out.append(info_dict(e));
    }
    return out;
  }

  std::string resolve_prefix(const std::string& prefix) {
    return call([&](Cache* c) { return c->admin().resolve_prefix(prefix); }).hex();
  }

  void pin(const py::handle& k, bool pinned) {
    check(unlocked(k, [&](Cache* c, const OperationKey& key) {
      return pinned ? c->admin().pin(key) : c->admin().unpin(key);
    }));
  }

  py::dict clear(bool keep_pinned) {
    const GcReport g = call([&](Cache* c) { return c->admin().clear(keep_pinned); });
    py::dict d;
    d["removed"] = g.removed.size();
    d["freed_bytes"] = g.freed_bytes;
    d["entries_left"] = g.entries_left;
    return d;
  }

  // Every key, newest first.
  std::vector<std::string> keys() {
    std::vector<std::string> out;
    for (const EntryInfo& e : call([](Cache* c) { return c->admin().list(); })) {
      out.push_back(e.key.hex());
    }
    return out;
  }

  uint64_t count() {
    return call([](Cache* c) { return c->admin().stored_stats(); }).entries;
  }

 private:
  std::shared_ptr<Cache> cache_;
};

}  // namespace

void bind_cache(py::module_& m) {
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
      .def("resolve_prefix", &PyCache::resolve_prefix)
      .def("pin", &PyCache::pin)
      .def("clear", &PyCache::clear)
      .def("keys", &PyCache::keys)
      .def("count", &PyCache::count)
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
            const PutOptions options = put_options(recipe_of(k), metadata, layout);
            Result<std::unique_ptr<VolumeWriter>> w = Status::NotFound("");
            {
              py::gil_scoped_release nogil;
              w = cache->write_volume(key, l, options);
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
}

}  // namespace voxcache::python
