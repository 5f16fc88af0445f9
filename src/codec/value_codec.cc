#include "codec/value_codec.h"

#include <cstring>

#include "util/coding.h"

namespace voxcache::codec {

Payload describe_volume(const VolumeLayout& l) {
  Payload p;
  p.kind = Value::Kind::kVolume;
  p.data_type = "volume";
  p.kind_header = encode_layout(l);
  p.layout = l;
  p.element_bytes = pixel_type_size(l.pixel_type);
  p.voxel_bytes = p.element_bytes * l.components;
  p.row_bytes = p.voxel_bytes * l.size[0];
  p.slice_bytes = p.row_bytes * l.size[1];
  return p;
}

Result<Payload> serialize_volume(const Volume& v) {
  Status s = v.layout().validate();
  if (!s.ok()) return s;
  if (v.pixel_type() == PixelType::kBool) {
    s = check_bool_voxels(v.data(), v.byte_size(), 0);
    if (!s.ok()) return s;
  }
  Payload p = describe_volume(v.layout());
  p.external = std::string_view(reinterpret_cast<const char*>(v.data()), v.byte_size());
  p.is_external = true;
  return p;
}

Result<Payload> serialize(const Value& value, const TypeRegistry* types) {
  Payload p;
  p.kind = value.kind();
  p.data_type = value.type_tag();
  switch (value.kind()) {
    case Value::Kind::kNull:
      break;
    case Value::Kind::kBool:
      p.owned.push_back(*value.as_bool() ? 1 : 0);
      break;
    case Value::Kind::kInt64:
      util::put_fixed<int64_t>(&p.owned, *value.as_int64());
      break;
    case Value::Kind::kFloat64:
      util::put_fixed<double>(&p.owned, *value.as_double());
      break;
    case Value::Kind::kString:
      p.owned = *value.as_string();
      break;
    case Value::Kind::kVolume: {
      const Volume* v = value.as_volume();
      if (!v) return Status::InvalidArgument("value holds a null volume");
      return serialize_volume(*v);
    }
    case Value::Kind::kCustom: {
      const CustomValue* c = value.as_custom();
      const TypeRegistry::Codec* codec = types ? types->find(c->tag) : nullptr;
      if (!codec) {
        return Status::InvalidArgument("type '" + c->tag +
                                       "' is not registered in this cache's TypeRegistry");
      }
      if (!c->object) return Status::InvalidArgument("custom value '" + c->tag + "' is empty");
      Result<std::string> bytes = codec->encode(*c->object);
      if (!bytes.ok()) return bytes.status().with_context("encoding '" + c->tag + "'");
      p.owned = std::move(bytes).value();
      p.kind_header = c->tag;
      break;
    }
  }
  return p;
}

uint64_t plan_chunk_bytes(const Payload& p, uint64_t target) {
  if (target > kMaxChunkBytes) target = kMaxChunkBytes;
  for (uint64_t unit : {p.slice_bytes, p.row_bytes, p.voxel_bytes}) {
    if (unit <= target) return target / unit * unit;
  }
  // A voxel larger than the target: one voxel per chunk is the least we can do.
  return p.voxel_bytes;
}

Result<ValueBuilder> ValueBuilder::Create(const EntryHeader& h, const std::string& data_type,
                                          const TypeRegistry* types) {
  ValueBuilder b;
  b.kind_ = h.kind;
  // The data_type column is what listings show; it must agree with the
  // header, or one of them is corrupt.
  static constexpr const char* kTags[] = {"null",   "bool",   "int64", "float64",
                                          "string", "volume", nullptr};
  const char* builtin = kTags[static_cast<size_t>(h.kind)];
  if (builtin ? data_type != builtin : data_type != h.kind_header) {
    return Status::Corruption("data_type '" + data_type + "' contradicts the entry header");
  }
  auto expect_size = [&](uint64_t n) -> Status {
    if (h.payload_bytes == n) return Status::OK();
    return Status::Corruption(data_type + " entry has a payload of " +
                              std::to_string(h.payload_bytes) + " bytes, expected " +
                              std::to_string(n));
  };
  Status s;
  switch (h.kind) {
    case Value::Kind::kNull:
      s = expect_size(0);
      break;
    case Value::Kind::kBool:
      s = expect_size(1);
      break;
    case Value::Kind::kInt64:
    case Value::Kind::kFloat64:
      s = expect_size(8);
      break;
    case Value::Kind::kString:
      break;
    case Value::Kind::kVolume: {
      Result<VolumeLayout> layout = decode_layout(h.kind_header);
      if (!layout.ok()) return layout.status();
      s = expect_size(layout->byte_size());
      if (!s.ok()) return s;
      Result<Volume> v = Volume::CreateUninitialized(*layout);  // every byte is decoded into
      if (!v.ok()) return v.status();
      b.volume_.emplace(std::move(v).value());
      return b;
    }
    case Value::Kind::kCustom:
      b.tag_ = h.kind_header;
      b.custom_ = types ? types->find(b.tag_) : nullptr;
      if (!b.custom_) {
        return Status::NotSupported("no decoder registered for type '" + b.tag_ + "'");
      }
      break;
  }
  if (!s.ok()) return s;
  if (h.payload_bytes > b.bytes_.max_size()) return Status::Corruption("payload size overflow");
  b.bytes_.resize(h.payload_bytes);
  return b;
}

uint8_t* ValueBuilder::buffer() {
  return volume_ ? volume_->mutable_data() : reinterpret_cast<uint8_t*>(bytes_.data());
}

Result<Value> ValueBuilder::finish() && {
  switch (kind_) {
    case Value::Kind::kNull:
      return Value();
    case Value::Kind::kBool:
      if (static_cast<uint8_t>(bytes_[0]) > 1)
        return Status::Corruption("bool payload is not 0 or 1");
      return Value(bytes_[0] == 1);
    case Value::Kind::kInt64: {
      int64_t v;
      std::memcpy(&v, bytes_.data(), 8);
      return Value(v);
    }
    case Value::Kind::kFloat64: {
      double v;
      std::memcpy(&v, bytes_.data(), 8);
      return Value(v);
    }
    case Value::Kind::kString:
      return Value(std::move(bytes_));
    case Value::Kind::kVolume:
      return Value(std::move(*volume_));
    case Value::Kind::kCustom: {
      Result<std::any> obj = custom_->decode(bytes_);
      if (!obj.ok()) return obj.status().with_context("decoding '" + tag_ + "'");
      // Value::Custom's std::any(T&&) with T = std::any moves; it does not nest.
      return Value::Custom(tag_, std::move(obj).value());
    }
  }
  return Status::Corruption("unknown value kind");
}

}  // namespace voxcache::codec
