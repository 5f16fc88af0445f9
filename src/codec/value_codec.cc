#include "codec/value_codec.h"

#include <cstring>
#include <limits>
#include <new>

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

namespace {

// The data_type column of a value of `kind` (custom: its tag, the header).
std::string data_type_of(Value::Kind kind, const std::string& kind_header) {
  const char* builtin = Value::builtin_tag(kind);
  return builtin ? builtin : kind_header;
}

Result<Payload> serialize_at(const Value& value, const TypeRegistry* types, int depth);

// Zero bytes before an item's payload at `offset` in its list's payload:
// every payload starts at a multiple of 8, so a decoded volume item views
// the list's buffer in place, aligned for any pixel type.
constexpr size_t kItemAlignment = 8;
size_t pad_to_item(size_t offset) {
  return (kItemAlignment - offset % kItemAlignment) % kItemAlignment;
}

// The volume with the most bytes among a list's items, nested ones too.
const Volume* largest_volume(const std::vector<Value>& items) {
  const Volume* best = nullptr;
  for (const Value& item : items) {
    const Volume* v = item.items() ? largest_volume(*item.items()) : item.as_volume();
    if (v && (!best || v->byte_size() > best->byte_size())) best = v;
  }
  return best;
}

// A list's or tuple's payload (docs/format.md 2.1): u32 count, then per
// item u8 kind, u32 + kind header, u64 size, zero padding, payload.
Status encode_items(const std::vector<Value>& items, const TypeRegistry* types, int depth,
                    std::string* out) {
  if (depth > Value::kMaxNesting) {
    return Status::InvalidArgument("lists and tuples nest deeper than " +
                                   std::to_string(Value::kMaxNesting));
  }
  if (items.size() > UINT32_MAX) return Status::InvalidArgument("a list of over 2^32 items");
  const size_t start = out->size();
  util::put_fixed<uint32_t>(out, static_cast<uint32_t>(items.size()));
  for (size_t i = 0; i < items.size(); ++i) {
    Result<Payload> item = serialize_at(items[i], types, depth + 1);
    if (!item.ok()) return item.status().with_context("item " + std::to_string(i));
    out->push_back(static_cast<char>(item->kind));
    util::put_fixed<uint32_t>(out, static_cast<uint32_t>(item->kind_header.size()));
    *out += item->kind_header;
    util::put_fixed<uint64_t>(out, item->bytes().size());
    out->append(pad_to_item(out->size() - start), '\0');
    out->append(item->bytes());
  }
  return Status::OK();
}

Result<Payload> serialize_at(const Value& value, const TypeRegistry* types, int depth) {
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
    case Value::Kind::kList:
    case Value::Kind::kTuple: {
      Status s = encode_items(*value.items(), types, depth, &p.owned);
      if (!s.ok()) return s;
      // Most of a list's bytes are usually one volume's: the shuffle filter
      // of its pixel size then helps as it does alone (docs/format.md 2.1).
      // Items before it shift its bytes, which only rotates the byte planes.
      if (const Volume* big = largest_volume(*value.items())) {
        p.element_bytes = pixel_type_size(big->pixel_type());
      }
      break;
    }
  }
  return p;
}

}  // namespace

Result<Payload> serialize(const Value& value, const TypeRegistry* types) {
  return serialize_at(value, types, 1);
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
  b.types_ = types;
  // The data_type column is what listings show; it must agree with the
  // header, or one of them is corrupt.
  if (data_type != data_type_of(h.kind, h.kind_header)) {
    return Status::Corruption("data_type '" + data_type + "' contradicts the entry header");
  }
  if (!h.kind_header.empty() && h.kind != Value::Kind::kVolume && h.kind != Value::Kind::kCustom) {
    return Status::Corruption(data_type + " entry has a kind header");
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
    case Value::Kind::kList:
    case Value::Kind::kTuple: {
      if (h.payload_bytes < 4) return Status::Corruption(data_type + " entry has no item count");
      if (h.payload_bytes > std::numeric_limits<size_t>::max()) {
        return Status::Corruption("payload size overflow");
      }
      // Left unset: every byte is decoded into. operator new[] aligns it
      // for any pixel type, as the items' 8-byte offsets need.
      b.items_.reset(new (std::nothrow) uint8_t[h.payload_bytes], std::default_delete<uint8_t[]>());
      if (!b.items_) {
        return Status::IOError("cannot allocate " + std::to_string(h.payload_bytes) + " bytes");
      }
      b.items_bytes_ = h.payload_bytes;
      return b;
    }
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
  if (items_) return items_.get();
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
    case Value::Kind::kList:
    case Value::Kind::kTuple: {
      Result<Value> v = decode_list(kind_, items_, items_.get(), items_bytes_, types_, 1);
      if (!v.ok()) return v.status().with_context(kind_ == Value::Kind::kList ? "list" : "tuple");
      return v;
    }
  }
  return Status::Corruption("unknown value kind");
}

Result<Value> ValueBuilder::decode_list(Value::Kind kind, const std::shared_ptr<uint8_t>& owner,
                                        const uint8_t* at, size_t n, const TypeRegistry* types,
                                        int depth) {
  if (depth > Value::kMaxNesting) {
    return Status::Corruption("lists and tuples nest deeper than " +
                              std::to_string(Value::kMaxNesting));
  }
  const std::string_view all(reinterpret_cast<const char*>(at), n);
  util::Reader r(all);
  uint32_t count = 0;
  if (!r.get(&count)) return Status::Corruption("truncated item count");
  // Each item takes at least 13 bytes: a count past that is a lie, refused
  // before anything is reserved for it.
  constexpr uint64_t kMinItemBytes = 1 + 4 + 8;
  if (count > r.remaining() / kMinItemBytes) {
    return Status::Corruption(std::to_string(count) + " items in " + std::to_string(r.remaining()) +
                              " bytes");
  }
  std::vector<Value> items;
  items.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    const std::string at_item = "item " + std::to_string(i);
    uint8_t item_kind = 0;
    uint32_t header_len = 0;
    std::string_view kind_header, pad, payload;
    uint64_t payload_len = 0;
    if (!r.get(&item_kind) || !r.get(&header_len) || !r.get_bytes(header_len, &kind_header) ||
        !r.get(&payload_len) || !r.get_bytes(pad_to_item(n - r.remaining()), &pad) ||
        !r.get_bytes(payload_len, &payload)) {
      return Status::Corruption(at_item + ": truncated");
    }
    if (pad.find_first_not_of('\0') != std::string_view::npos) {
      return Status::Corruption(at_item + ": padding that is not zero");
    }
    if (item_kind > static_cast<uint8_t>(Value::Kind::kTuple)) {
      return Status::Corruption(at_item + ": unknown value kind " + std::to_string(item_kind));
    }
    EntryHeader h;
    h.kind = static_cast<Value::Kind>(item_kind);
    h.kind_header.assign(kind_header.data(), kind_header.size());
    h.payload_bytes = payload_len;
    const std::string data_type = data_type_of(h.kind, h.kind_header);
    const auto* bytes = reinterpret_cast<const uint8_t*>(payload.data());
    Result<Value> v = Status::Corruption("");
    if (h.kind == Value::Kind::kList || h.kind == Value::Kind::kTuple) {
      v = kind_header.empty() ? decode_list(h.kind, owner, bytes, payload.size(), types, depth + 1)
                              : Status::Corruption(data_type + " item has a kind header");
    } else if (h.kind == Value::Kind::kVolume) {
      v = view_volume(h, owner, bytes);
    } else {
      Result<ValueBuilder> b = Create(h, data_type, types);
      if (!b.ok()) return b.status().with_context(at_item);
      if (!payload.empty()) std::memcpy(b->buffer(), payload.data(), payload.size());
      v = std::move(b).value().finish();
    }
    if (!v.ok()) return v.status().with_context(at_item);
    items.push_back(std::move(v).value());
  }
  if (r.remaining() != 0) {
    return Status::Corruption(std::to_string(r.remaining()) + " bytes after the last item");
  }
  return kind == Value::Kind::kList ? Value::List(std::move(items))
                                    : Value::Tuple(std::move(items));
}

Result<Value> ValueBuilder::view_volume(const EntryHeader& h, const std::shared_ptr<uint8_t>& owner,
                                        const uint8_t* voxels) {
  Result<VolumeLayout> layout = decode_layout(h.kind_header);
  if (!layout.ok()) return layout.status();
  if (h.payload_bytes != layout->byte_size()) {
    return Status::Corruption("volume item has a payload of " + std::to_string(h.payload_bytes) +
                              " bytes, expected " + std::to_string(layout->byte_size()));
  }
  if (layout->pixel_type == PixelType::kBool) {
    Status s = check_bool_voxels(voxels, h.payload_bytes, 0);
    if (!s.ok()) return Status::Corruption("mask: " + s.message());
  }
  // No copy: the volume shares the list's buffer, which nothing writes
  // once decoded (the Value holds it as const; Volume copies are deep).
  std::shared_ptr<uint8_t> view(owner, const_cast<uint8_t*>(voxels));
  Result<Volume> v = Volume::Adopt(*layout, std::move(view), h.payload_bytes);
  if (!v.ok()) return Status::Corruption(v.status().message());
  return Value(std::move(v).value());
}

}  // namespace voxcache::codec
