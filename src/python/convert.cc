#include "python/convert.h"

#include <cstring>

namespace voxcache::python {

namespace {

// Set once at import by the pure-Python layer; never destroyed, so that no
// Python object is released after the interpreter has gone.
py::object* g_volume_class = nullptr;

// Drops a Python reference from any thread: the GIL is taken for it, unless
// the interpreter is finalizing, when the reference is leaked instead.
struct PyRef {
  py::object* ref;
  void operator()(uint8_t*) const {
    if (_Py_IsFinalizing()) return;
    py::gil_scoped_acquire gil;
    delete ref;
  }
};

std::string dtype_name(const py::dtype& d) {
  return py::str(static_cast<const py::handle&>(d)).cast<std::string>();
}

uint64_t checked_size(py::ssize_t n) {
  if (n < 0) throw py::value_error("negative array dimension");
  return static_cast<uint64_t>(n);
}

std::array<double, 3> triple(const py::handle& obj, const char* what) {
  py::sequence seq = py::reinterpret_borrow<py::sequence>(obj);
  if (py::len(seq) != 3) {
    throw py::value_error(std::string("Volume.") + what + " must have 3 numbers, got " +
                          std::to_string(py::len(seq)));
  }
  return {seq[0].cast<double>(), seq[1].cast<double>(), seq[2].cast<double>()};
}

// The py.ndarray value's own little framing, written and read here: the
// extension uses the public API alone, and the library's coding helpers are
// not part of it.
void put_u64le(uint64_t v, std::string* out) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

// Reads from the front of `in`, advancing it; false when too little is left.
bool get_bytes(std::string_view* in, size_t n, std::string_view* out) {
  if (in->size() < n) return false;
  *out = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}
bool get_u8(std::string_view* in, uint8_t* v) {
  std::string_view b;
  if (!get_bytes(in, 1, &b)) return false;
  *v = static_cast<uint8_t>(b[0]);
  return true;
}
bool get_u64le(std::string_view* in, uint64_t* v) {
  std::string_view b;
  if (!get_bytes(in, 8, &b)) return false;
  *v = 0;
  for (int i = 7; i >= 0; --i) *v = *v << 8 | static_cast<uint8_t>(b[i]);
  return true;
}

// C-order bytes of an array of numbers, with its dtype and shape in front:
// u8 version 1, u8 length + dtype.str, u8 ndim, ndim x u64 shape, data.
std::string encode_array(const py::array& a) {
  const char kind = a.dtype().kind();
  if (std::strchr("biufc", kind) == nullptr) {
    throw py::type_error("voxcache stores arrays of numbers and booleans, not dtype " +
                         dtype_name(a.dtype()) + " (object arrays would need pickle)");
  }
  py::array c = py::array::ensure(a, py::array::c_style);
  const std::string dt = py::str(a.dtype().attr("str")).cast<std::string>();
  std::string out;
  out.push_back(1);
  out.push_back(static_cast<char>(dt.size()));
  out += dt;
  out.push_back(static_cast<char>(c.ndim()));
  for (py::ssize_t i = 0; i < c.ndim(); ++i) put_u64le(checked_size(c.shape(i)), &out);
  out.append(static_cast<const char*>(c.data()), static_cast<size_t>(c.nbytes()));
  return out;
}

py::object decode_array(std::string bytes) {
  std::string_view r(bytes);
  uint8_t version = 0, dt_len = 0, ndim = 0;
  std::string_view dt;
  if (!get_u8(&r, &version) || version != 1 || !get_u8(&r, &dt_len) ||
      !get_bytes(&r, dt_len, &dt) || !get_u8(&r, &ndim)) {
    raise(Status::Corruption("py.ndarray value: bad header"));
  }
  std::vector<py::ssize_t> shape(ndim);
  uint64_t count = 1;
  for (auto& s : shape) {
    uint64_t v = 0;
    if (!get_u64le(&r, &v) || (v && count > (uint64_t{1} << 62) / v)) {
      raise(Status::Corruption("py.ndarray value: bad shape"));
    }
    s = static_cast<py::ssize_t>(v);
    count *= v;
  }
  py::dtype dtype{std::string(dt)};
  if (std::strchr("biufc", dtype.kind()) == nullptr ||
      r.size() != count * static_cast<uint64_t>(dtype.itemsize())) {
    raise(Status::Corruption("py.ndarray value: size does not match its dtype and shape"));
  }
  const size_t offset = bytes.size() - r.size();
  // The array views the string it came in, which its capsule keeps.
  auto* held = new std::string(std::move(bytes));
  py::capsule owner(held, [](void* p) { delete static_cast<std::string*>(p); });
  return py::array(dtype, shape, {}, held->data() + offset, owner);
}

}  // namespace

std::shared_ptr<const TypeRegistry> python_types() {
  auto types = std::make_shared<TypeRegistry>();
  for (const char* tag : {kBytesTag, kJsonTag, kArrayTag, kScalarTag}) {
    Status s = types->add_type<std::string>(
        tag, [](const std::string& s) -> Result<std::string> { return s; },
        [](std::string_view b) -> Result<std::string> { return std::string(b); });
    if (!s.ok()) throw std::logic_error(s.to_string());
  }
  return types;
}

void set_volume_class(py::object cls) {
  if (!g_volume_class) g_volume_class = new py::object();
  *g_volume_class = std::move(cls);
}

py::dtype dtype_of(PixelType t) {
  switch (t) {
    case PixelType::kUInt8:
      return py::dtype("<u1");
    case PixelType::kInt8:
      return py::dtype("<i1");
    case PixelType::kUInt16:
      return py::dtype("<u2");
    case PixelType::kInt16:
      return py::dtype("<i2");
    case PixelType::kUInt32:
      return py::dtype("<u4");
    case PixelType::kInt32:
      return py::dtype("<i4");
    case PixelType::kUInt64:
      return py::dtype("<u8");
    case PixelType::kInt64:
      return py::dtype("<i8");
    case PixelType::kFloat32:
      return py::dtype("<f4");
    case PixelType::kFloat64:
      return py::dtype("<f8");
    case PixelType::kBool:
      return py::dtype("?");
  }
  throw py::value_error("unknown pixel type");
}

PixelType pixel_type_of(const py::dtype& d) {
  if (d.byteorder() == '>') {
    throw py::type_error("big-endian arrays are not stored as they are: use .astype('<" +
                         std::string(1, d.kind()) + std::to_string(d.itemsize()) + "')");
  }
  const char k = d.kind();
  const auto n = d.itemsize();
  if (k == 'u' || k == 'i') {
    const bool u = k == 'u';
    if (n == 1) return u ? PixelType::kUInt8 : PixelType::kInt8;
    if (n == 2) return u ? PixelType::kUInt16 : PixelType::kInt16;
    if (n == 4) return u ? PixelType::kUInt32 : PixelType::kInt32;
    if (n == 8) return u ? PixelType::kUInt64 : PixelType::kInt64;
  }
  if (k == 'f' && n == 4) return PixelType::kFloat32;
  if (k == 'f' && n == 8) return PixelType::kFloat64;
  if (k == 'b' && n == 1) return PixelType::kBool;
  throw py::type_error("a Volume holds (u)int8..64, float32, float64 or bool voxels, not " +
                       dtype_name(d));
}

ChunkLayout layout_of(const std::string& text) { return take(ChunkLayout::Parse(text)); }

Volume to_volume(const py::handle& obj) {
  if (!g_volume_class || !py::isinstance(obj, *g_volume_class)) {
    throw py::type_error("expected a voxcache.Volume");
  }
  py::object arr_obj = obj.attr("array");
  if (!py::isinstance<py::array>(arr_obj)) throw py::type_error("Volume.array is not an ndarray");
  py::array arr = py::reinterpret_borrow<py::array>(arr_obj);
  if (!(arr.flags() & py::array::c_style)) {
    throw py::value_error(
        "Volume.array must be C-contiguous (x fastest); use numpy.ascontiguousarray to copy it");
  }
  VolumeLayout l;
  l.dimension = obj.attr("dimension").cast<uint32_t>();
  // ([t,] [z,] y, x [, c]): the spatial axes are the dimension's last ones.
  const auto dim = static_cast<py::ssize_t>(l.dimension);
  if (l.dimension < 2 || l.dimension > 4 || (arr.ndim() != dim && arr.ndim() != dim + 1)) {
    throw py::value_error("Volume.array has " + std::to_string(arr.ndim()) +
                          " axes, a Volume of dimension " + std::to_string(l.dimension) +
                          " has that many or one more (components)");
  }
  l.pixel_type = pixel_type_of(arr.dtype());
  l.components = arr.ndim() > dim ? static_cast<uint32_t>(checked_size(arr.shape(dim))) : 1;
  const py::ssize_t x = dim - 1;
  l.size = {checked_size(arr.shape(x)), checked_size(arr.shape(x - 1)),
            l.dimension == 2 ? 1 : checked_size(arr.shape(x - 2))};
  if (l.dimension == 4) {
    l.frames = checked_size(arr.shape(0));
    l.geometry.time_spacing = obj.attr("time_spacing").cast<double>();
    l.geometry.time_origin = obj.attr("time_origin").cast<double>();
  }
  l.geometry.spacing = triple(obj.attr("spacing"), "spacing");
  l.geometry.origin = triple(obj.attr("origin"), "origin");
  py::sequence dir = obj.attr("direction");
  if (py::len(dir) != 9)
    throw py::value_error("Volume.direction must have 9 numbers (row-major 3x3)");
  for (size_t i = 0; i < 9; ++i) l.geometry.direction[i] = dir[i].cast<double>();
  if (Status s = l.validate(); !s.ok()) throw py::value_error(s.message());
  // Read only (a put, a content key): a read-only array (a SimpleITK view,
  // np.frombuffer, a memory map opened "r") is as good as any. The Volume
  // is adopted, so nothing keeps or writes through it (convert.h).
  std::shared_ptr<uint8_t> data(const_cast<uint8_t*>(static_cast<const uint8_t*>(arr.data())),
                                PyRef{new py::object(arr)});
  return take(Volume::Adopt(l, std::move(data), static_cast<uint64_t>(arr.nbytes())));
}

int64_t int64_of(const py::handle& obj, const char* what) {
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(obj.ptr(), &overflow);
  if (overflow) throw py::value_error(std::string(what) + " out of the int64 range");
  return static_cast<int64_t>(v);
}

namespace {

// A NumPy scalar of a number or bool dtype (np.str_ is a str, and stored as one).
bool is_numpy_number(const py::handle& obj) {
  static py::object* generic = new py::object(py::module_::import("numpy").attr("generic"));
  return py::isinstance(obj, *generic) &&
         std::strchr("biufc", py::cast<py::dtype>(obj.attr("dtype")).kind()) != nullptr;
}

// What json.dumps would change without a word: a dict key that is not a
// str (1 comes back as "1") and a tuple (comes back a list). `where` is the
// path to it, for the error.
void check_json_exact(const py::handle& obj, const std::string& where) {
  if (py::isinstance<py::tuple>(obj)) {
    throw py::type_error("a tuple in a JSON value would come back as a list (" + where +
                         "); store a list");
  }
  if (py::isinstance<py::dict>(obj)) {
    for (const auto& [k, v] : py::reinterpret_borrow<py::dict>(obj)) {
      if (!py::isinstance<py::str>(k)) {
        throw py::type_error("a dict key of a JSON value must be a str, not " + type_name(k) + " " +
                             py::repr(k).cast<std::string>() + " (" + where +
                             "): JSON would turn it into a string");
      }
      check_json_exact(v, where + "[" + py::repr(k).cast<std::string>() + "]");
    }
  } else if (py::isinstance<py::list>(obj)) {
    size_t i = 0;
    for (const py::handle& v : py::reinterpret_borrow<py::list>(obj)) {
      check_json_exact(v, where + "[" + std::to_string(i++) + "]");
    }
  }
}

}  // namespace

std::string str_bytes(const py::handle& s) {
  PyObject* b = PyUnicode_AsEncodedString(s.ptr(), "utf-8", "surrogatepass");
  if (!b) throw py::error_already_set();
  py::bytes held = py::reinterpret_steal<py::bytes>(b);
  return held.cast<std::string>();
}

py::object str_of_bytes(const std::string& bytes) {
  const auto n = static_cast<py::ssize_t>(bytes.size());
  for (const char* errors : {"strict", "surrogatepass"}) {
    if (PyObject* u = PyUnicode_DecodeUTF8(bytes.data(), n, errors)) {
      return py::reinterpret_steal<py::object>(u);
    }
    PyErr_Clear();
  }
  return py::bytes(bytes);
}

std::string json_text(const py::handle& obj, const std::string& what, bool lone_surrogates) {
  check_json_exact(obj, what);
  // NumPy numbers inside become the Python numbers they equal (JSON has no
  // dtypes); anything else json.dumps cannot write is the error below.
  py::cpp_function numbers([](const py::handle& o) -> py::object {
    if (is_numpy_number(o)) return o.attr("item")();
    throw py::type_error(type_name(o) + " is not JSON");
  });
  // Canonical JSON, so equal values store equal bytes; NaN is refused (it
  // is not JSON).
  auto dumps = [&](bool ascii) {
    return py::module_::import("json").attr("dumps")(
        obj, py::arg("sort_keys") = true, py::arg("separators") = py::make_tuple(",", ":"),
        py::arg("allow_nan") = false, py::arg("ensure_ascii") = ascii,
        py::arg("default") = numbers);
  };
  try {
    py::object text = dumps(false);
    py::ssize_t n = 0;
    if (!PyUnicode_AsUTF8AndSize(text.ptr(), &n)) {
      // A lone surrogate is not UTF-8: JSON's own escapes (\ud800) keep it.
      PyErr_Clear();
      if (!lone_surrogates) {
        throw py::value_error(what +
                              " holds a str with a lone surrogate, which UTF-8 JSON cannot hold");
      }
      text = dumps(true);
    }
    return text.cast<std::string>();
  } catch (py::error_already_set& e) {
    // The message alone: json's traceback lines are not the caller's concern.
    throw py::type_error(what +
                         " must be JSON (str keys; None, bool, int, float, str, list and dict "
                         "inside, NumPy numbers allowed): " +
                         py::str(e.value()).cast<std::string>());
  }
}

std::string type_name(const py::handle& obj) {
  return py::str(obj.get_type().attr("__name__")).cast<std::string>();
}

namespace {

Value to_value_at(const py::handle& obj, int depth);

// A list's or tuple's items, each in its own typed form; an item's error
// says where it is.
std::vector<Value> items_of(const py::handle& seq, int depth) {
  if (depth > Value::kMaxNesting) {
    throw py::value_error("lists and tuples nest deeper than " +
                          std::to_string(Value::kMaxNesting) +
                          " (a list that holds itself does too)");
  }
  std::vector<Value> items;
  items.reserve(py::len(seq));
  size_t i = 0;
  for (const py::handle& item : seq) {
    try {
      items.push_back(to_value_at(item, depth + 1));
    } catch (py::error_already_set& e) {
      // TypeError and ValueError keep their type, with the place in front.
      const std::string where = "item " + std::to_string(i) + ": ";
      if (e.matches(PyExc_TypeError))
        throw py::type_error(where + py::str(e.value()).cast<std::string>());
      if (e.matches(PyExc_ValueError))
        throw py::value_error(where + py::str(e.value()).cast<std::string>());
      throw;
    } catch (const py::type_error& e) {
      throw py::type_error("item " + std::to_string(i) + ": " + e.what());
    } catch (const py::value_error& e) {
      throw py::value_error("item " + std::to_string(i) + ": " + e.what());
    }
    ++i;
  }
  return items;
}

}  // namespace

Value to_value(const py::handle& obj) { return to_value_at(obj, 1); }

namespace {

Value to_value_at(const py::handle& obj, int depth) {
  if (obj.is_none()) return Value();
  // Before bool, int and float: np.float64 is a float, and a NumPy scalar
  // comes back as the scalar it was, dtype and all.
  if (is_numpy_number(obj)) {
    py::array a = py::module_::import("numpy").attr("asarray")(obj);
    return Value::Custom(kScalarTag, encode_array(a));
  }
  if (py::isinstance<py::bool_>(obj)) return Value(obj.cast<bool>());
  if (py::isinstance<py::int_>(obj)) return Value(int64_of(obj, "an int value is"));
  if (py::isinstance<py::float_>(obj)) return Value(obj.cast<double>());
  if (py::isinstance<py::str>(obj)) return Value(str_bytes(obj));
  if (py::isinstance<py::bytes>(obj) || py::isinstance<py::bytearray>(obj) ||
      py::isinstance<py::memoryview>(obj)) {
    py::bytes b = py::module_::import("builtins").attr("bytes")(obj);
    return Value::Custom(kBytesTag, b.cast<std::string>());
  }
  if (g_volume_class && py::isinstance(obj, *g_volume_class)) return Value(to_volume(obj));
  if (py::isinstance<py::array>(obj)) {
    return Value::Custom(kArrayTag, encode_array(py::reinterpret_borrow<py::array>(obj)));
  }
  // Exactly list and tuple: a subclass (a namedtuple) would come back as
  // its base, so it is refused below rather than changed.
  if (PyList_CheckExact(obj.ptr())) return Value::List(items_of(obj, depth));
  if (PyTuple_CheckExact(obj.ptr())) return Value::Tuple(items_of(obj, depth));
  if (PyDict_CheckExact(obj.ptr())) return Value::Custom(kJsonTag, json_text(obj, "a dict value"));
  throw py::type_error("voxcache cannot store a " + type_name(obj) +
                       " (it stores None, bool, int, float, str, bytes, numpy arrays and "
                       "scalars, voxcache.Volume, lists and tuples of these, and JSON dicts; "
                       "never pickles)");
}

}  // namespace

std::vector<py::ssize_t> array_shape(const VolumeLayout& l) {
  std::vector<py::ssize_t> shape;
  if (l.dimension == 4) shape.push_back(static_cast<py::ssize_t>(l.frames));
  if (l.dimension >= 3) shape.push_back(static_cast<py::ssize_t>(l.size[2]));
  shape.push_back(static_cast<py::ssize_t>(l.size[1]));
  shape.push_back(static_cast<py::ssize_t>(l.size[0]));
  if (l.components > 1) shape.push_back(static_cast<py::ssize_t>(l.components));
  return shape;
}

py::object from_volume(std::shared_ptr<const Volume> v) {
  if (!g_volume_class) throw py::type_error("voxcache.Volume is not registered");
  // The array is writable, so its buffer must be nobody else's: `v` alone
  // holds the Volume, which alone holds voxels it allocated. Otherwise (the
  // memory tier shares it, or it views a caller's buffer) the array gets a copy.
  if (v.use_count() != 1 || !v->owns_buffer()) {
    Result<Volume> copy = Status::NotFound("");
    {
      py::gil_scoped_release nogil;
      copy = Volume::Copy(v->layout(), v->data(), v->byte_size());
    }
    v = std::make_shared<const Volume>(take(std::move(copy)));
  }
  const VolumeLayout& l = v->layout();
  const std::vector<py::ssize_t> shape = array_shape(l);
  // The bytes were allocated writable by the Volume; only the Volume object
  // is const, and the capsule now holds its sole reference.
  auto* voxels = const_cast<uint8_t*>(v->data());
  auto* held = new std::shared_ptr<const Volume>(std::move(v));
  py::capsule owner(held, [](void* p) { delete static_cast<std::shared_ptr<const Volume>*>(p); });
  py::array arr(dtype_of(l.pixel_type), shape, {}, voxels, owner);
  const Geometry& g = l.geometry;
  py::tuple dir(9);
  for (size_t i = 0; i < 9; ++i) dir[i] = py::float_(g.direction[i]);
  return (*g_volume_class)(
      arr, py::arg("spacing") = py::make_tuple(g.spacing[0], g.spacing[1], g.spacing[2]),
      py::arg("origin") = py::make_tuple(g.origin[0], g.origin[1], g.origin[2]),
      py::arg("direction") = dir, py::arg("dimension") = l.dimension,
      py::arg("time_spacing") = g.time_spacing, py::arg("time_origin") = g.time_origin);
}

py::object from_volume(Volume v) {
  return from_volume(std::make_shared<const Volume>(std::move(v)));
}

py::object from_value(Value v) {
  switch (v.kind()) {
    case Value::Kind::kNull:
      return py::none();
    case Value::Kind::kBool:
      return py::bool_(*v.as_bool());
    case Value::Kind::kInt64:
      return py::int_(*v.as_int64());
    case Value::Kind::kFloat64:
      return py::float_(*v.as_double());
    case Value::Kind::kString: {
      // Strings are bytes in C++: what is not UTF-8 comes back as bytes.
      return str_of_bytes(*v.as_string());
    }
    case Value::Kind::kVolume: {
      std::shared_ptr<const Volume> volume = v.shared_volume();
      v = Value();  // so that `volume` may be the sole holder
      return from_volume(std::move(volume));
    }
    case Value::Kind::kCustom: {
      const CustomValue* c = v.as_custom();
      const std::string* s = v.custom<std::string>();
      if (!s) raise(Status::NotSupported("custom value '" + c->tag + "' is not a Python value"));
      if (c->tag == kBytesTag) return py::bytes(*s);
      if (c->tag == kJsonTag) return py::module_::import("json").attr("loads")(py::str(*s));
      if (c->tag == kArrayTag) return decode_array(*s);
      if (c->tag == kScalarTag) {
        py::object a = decode_array(*s);
        if (py::cast<py::array>(a).ndim() != 0) {
          raise(Status::Corruption("py.numpy-scalar value: not a 0-d array"));
        }
        return a[py::tuple()];
      }
      raise(Status::NotSupported("no Python decoder for values tagged '" + c->tag + "'"));
    }
    case Value::Kind::kList:
    case Value::Kind::kTuple: {
      const bool list = v.kind() == Value::Kind::kList;
      // Each volume item comes out as from_value gives one: a copy while
      // anyone else (the memory tier) holds it.
      const std::vector<Value> items = *v.items();
      v = Value();
      py::list out;
      for (const Value& item : items) out.append(from_value(item));
      if (list) return std::move(out);
      return py::tuple(out);
    }
  }
  raise(Status::Corruption("unknown value kind"));
}

}  // namespace voxcache::python
