#include "cli/run/manifest.h"

namespace voxcache::cli::run {

std::shared_ptr<const TypeRegistry> types() {
  static const std::shared_ptr<const TypeRegistry> registry = [] {
    auto r = std::make_shared<TypeRegistry>();
    (void)r->add_type<nlohmann::json>(
        kRunType,
        [](const nlohmann::json& j) -> Result<std::string> {
          std::string out;
          nlohmann::json::to_cbor(j, out);
          return out;
        },
        [](std::string_view bytes) -> Result<nlohmann::json> {
          nlohmann::json j = nlohmann::json::from_cbor(bytes.begin(), bytes.end(), true, false);
          if (j.is_discarded() || !j.is_object()) {
            return Status::Corruption("a run record that is not a CBOR map");
          }
          return j;
        });
    return std::shared_ptr<const TypeRegistry>(std::move(r));
  }();
  return registry;
}

Value manifest_value(nlohmann::json manifest) {
  return Value::Custom(kRunType, std::move(manifest));
}

Result<nlohmann::json> manifest_of(const Value& v) {
  const nlohmann::json* j = v.custom<nlohmann::json>();
  const bool ours = j && j->is_object() && j->contains("format") &&
                    (*j)["format"].is_number_integer() && (*j)["format"] == kManifestFormat;
  if (!ours) {
    return Status::Corruption("not a run record of format " + std::to_string(kManifestFormat));
  }
  return *j;
}

KeyBuilder output_recipe(const std::string& op, const OperationKey& run, size_t n,
                         const std::string& rel) {
  KeyBuilder b(op + ":output");
  b.arg("n", static_cast<int64_t>(n));
  if (!rel.empty()) b.arg("path", KeyArg::Bytes(rel));
  return b.input(run);
}

}  // namespace voxcache::cli::run
