#include "python/keys.h"

#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "python/convert.h"

namespace voxcache::python {

KeyArg key_arg(const py::handle& v) {
  if (py::isinstance<py::bool_>(v)) return KeyArg(v.cast<bool>());
  if (py::isinstance<py::int_>(v)) return KeyArg(int64_of(v, "a key argument is"));
  if (py::isinstance<py::float_>(v)) return KeyArg(v.cast<double>());
  if (py::isinstance<py::str>(v)) return KeyArg(str_bytes(v));
  if (py::isinstance<py::bytes>(v)) return KeyArg::Bytes(v.cast<std::string>());
  if (py::isinstance<py::list>(v) || py::isinstance<py::tuple>(v)) {
    std::vector<KeyArg> items;
    for (const py::handle& item : v) items.push_back(key_arg(item));
    return KeyArg(std::move(items));
  }
  throw py::type_error("a key argument is a bool, int, float, str, bytes or a list of them, not " +
                       type_name(v) + " (inputs are keys: KeyBuilder.input)");
}

OperationKey key_of(const py::handle& k) {
  if (py::isinstance<OperationKey>(k)) return k.cast<OperationKey>();
  if (py::isinstance<KeyBuilder>(k)) return k.cast<const KeyBuilder&>().build();
  if (py::isinstance<py::str>(k)) return take(OperationKey::FromHex(k.cast<std::string>()));
  throw py::type_error("a key is a voxcache.Key, a KeyBuilder or 64 hex digits");
}

const py::handle& must_be_str(const py::handle& v, const char* what) {
  if (!py::isinstance<py::str>(v)) {
    throw py::type_error(std::string(what) + " is a str, not " + type_name(v));
  }
  return v;
}

const KeyBuilder* recipe_of(const py::handle& k) {
  return py::isinstance<KeyBuilder>(k) ? &k.cast<const KeyBuilder&>() : nullptr;
}

void bind_keys(py::module_& m) {
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
      // Arguments as py::handle, checked here: pybind11's own mismatch
      // error lists C++ signatures, not what the caller got wrong.
      .def(py::init([](const py::handle& operation) {
             return KeyBuilder(str_bytes(must_be_str(operation, "KeyBuilder's operation")));
           }),
           py::arg("operation"))
      .def(
          "arg",
          [](KeyBuilder& b, const py::handle& name, const py::handle& v) -> KeyBuilder& {
            return b.arg(str_bytes(must_be_str(name, "an argument's name")), key_arg(v));
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
}

}  // namespace voxcache::python
