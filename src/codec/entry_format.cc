#include "codec/entry_format.h"

#include <cstring>

#include "codec/shuffle.h"
#include "util/coding.h"
#include "util/lz4.h"
#include "util/xxhash.h"
#include "util/zstd.h"

namespace voxcache::codec {

void EntryHeader::set_bricks(const VolumeLayout& layout, const BrickShape& shape) {
  brick = shape;
  grid_ = BrickGrid(stacked_size(layout), shape,
                    pixel_type_size(layout.pixel_type) * layout.components);
}

namespace {

constexpr size_t kExtendedLayoutBytes = 184;  // version 4; versions 1-3: 152

bool extended_volume(const EntryHeader& h) {
  return h.kind == Value::Kind::kVolume && h.kind_header.size() == kExtendedLayoutBytes;
}

}  // namespace

bool needs_extended_layout(const VolumeLayout& l) {
  return l.dimension != 3 || l.pixel_type == PixelType::kBool;
}

Status check_bool_voxels(const uint8_t* data, uint64_t bytes, uint64_t first_voxel) {
  for (uint64_t i = 0; i < bytes; ++i) {
    if (data[i] > 1) {
      return Status::InvalidArgument("bool voxel " + std::to_string(first_voxel + i) + " holds " +
                                     std::to_string(data[i]) + ", not 0 or 1");
    }
  }
  return Status::OK();
}

ChunkLayout EntryHeader::chunk_layout() const {
  return bricked() ? ChunkLayout::Bricks(brick[0], brick[1], brick[2]) : ChunkLayout::ZSlabs();
}

std::string EntryHeader::layout_name() const {
  return kind == Value::Kind::kVolume ? chunk_layout().ToString() : "";
}

std::string EntryHeader::chunk_name(uint64_t i) const {
  return bricked() ? grid_.name(i) : "chunk " + std::to_string(i);
}

uint64_t EntryHeader::chunk_raw_size(uint64_t i) const {
  if (bricked()) return grid_.brick_bytes(i);
  const uint64_t start = i * chunk_bytes;
  return payload_bytes - start < chunk_bytes ? payload_bytes - start : chunk_bytes;
}

Status EntryHeader::check_key(std::string_view id) const {
  if (!key) return Status::OK();
  const std::string bound = util::to_hex(key->data(), key->size());
  if (bound == id) return Status::OK();
  return Status::Corruption("entry header: written for key " + bound +
                            ", read as another key's: an entry copied onto the wrong key");
}

std::string encode_header(const EntryHeader& h) {
  std::string out;
  out.append(kEntryMagic, sizeof(kEntryMagic));
  // Versions 4 and 5 only where they are needed, so that builds before them
  // still read every entry they could represent, and say "newer format" of
  // the rest rather than "corrupt".
  const bool sequence = h.kind == Value::Kind::kList || h.kind == Value::Kind::kTuple;
  const uint16_t version = h.lz4 && h.key       ? 6
                           : sequence           ? 5
                           : !h.key             ? (h.bricked() ? 2 : 1)
                           : extended_volume(h) ? 4
                                                : 3;
  util::put_fixed<uint16_t>(&out, version);
  out.push_back(static_cast<char>(h.kind));
  const uint8_t flags =
      (h.flags & kFlagInlineChunks) | (version >= 3 && h.bricked() ? kFlagBricks : 0);
  out.push_back(static_cast<char>(flags));
  util::put_fixed<uint64_t>(&out, h.payload_bytes);
  util::put_fixed<uint64_t>(&out, h.chunk_bytes);
  util::put_fixed<uint64_t>(&out, h.chunk_count);
  if (h.bricked()) {
    for (uint32_t side : h.brick) util::put_fixed<uint32_t>(&out, side);
  }
  if (version >= 3) {
    // A version-5 header always has the key field; an unbound one (no
    // writer makes it) holds zeros, which no key check accepts.
    const std::array<uint8_t, 32> none{};
    const std::array<uint8_t, 32>& key = h.key ? *h.key : none;
    out.append(reinterpret_cast<const char*>(key.data()), key.size());
  }
  out.append(reinterpret_cast<const char*>(h.payload_xxh3_128.data()), 16);
  util::put_fixed<uint32_t>(&out, static_cast<uint32_t>(h.kind_header.size()));
  out += h.kind_header;
  util::put_fixed<uint64_t>(&out, util::xxh3_64(out.data(), out.size()));
  return out;
}

namespace {

// The brick fields of a version-2 header against its volume header.
Status check_bricks(EntryHeader* h) {
  if (h->kind != Value::Kind::kVolume) {
    return Status::Corruption("entry header: bricks in an entry that is not a volume");
  }
  Result<VolumeLayout> layout = decode_layout(h->kind_header);
  if (!layout.ok()) return layout.status();
  const BrickShape b = h->brick;
  const Box3 size = stacked_size(*layout);
  for (int a = 0; a < 3; ++a) {
    if (b[a] == 0 || b[a] > size[a]) {
      return Status::Corruption("entry header: brick side " + std::to_string(b[a]) +
                                " out of range for a volume of " + std::to_string(size[a]));
    }
  }
  h->set_bricks(*layout, b);
  if (h->payload_bytes != layout->byte_size() || h->chunk_bytes != h->grid().full_brick_bytes()) {
    return Status::Corruption("entry header: sizes contradict the bricks");
  }
  return Status::OK();
}

}  // namespace

Result<EntryHeader> decode_header(std::string_view blob, size_t* header_len) {
  util::Reader r(blob);
  std::string_view magic;
  uint16_t version = 0;
  uint8_t kind = 0;
  EntryHeader h;
  if (!r.get_bytes(4, &magic) || std::memcmp(magic.data(), kEntryMagic, 4) != 0) {
    return Status::Corruption("entry header: bad magic");
  }
  if (!r.get(&version)) return Status::Corruption("entry header: truncated");
  if (version > kEntryFormatVersion) {
    return Status::NotSupported("entry format version " + std::to_string(version) +
                                " is newer than this voxcache (" +
                                std::to_string(kEntryFormatVersion) + ")");
  }
  if (version == 0) return Status::Corruption("entry header: format version 0");
  std::string_view sum, key;
  uint32_t kind_len = 0;
  std::string_view kind_header;
  if (!r.get(&kind) || !r.get(&h.flags) || !r.get(&h.payload_bytes) || !r.get(&h.chunk_bytes) ||
      !r.get(&h.chunk_count)) {
    return Status::Corruption("entry header: truncated");
  }
  const bool bricks = version == 2 || (version >= 3 && (h.flags & kFlagBricks));
  if ((bricks && !(r.get(&h.brick[0]) && r.get(&h.brick[1]) && r.get(&h.brick[2]))) ||
      (version >= 3 && !r.get_bytes(32, &key)) || !r.get_bytes(16, &sum) || !r.get(&kind_len) ||
      !r.get_bytes(kind_len, &kind_header)) {
    return Status::Corruption("entry header: truncated");
  }
  const size_t body = blob.size() - r.remaining();
  uint64_t stored_check = 0;
  if (!r.get(&stored_check)) return Status::Corruption("entry header: truncated");
  if (stored_check != util::xxh3_64(blob.data(), body)) {
    return Status::Corruption("entry header: checksum mismatch");
  }
  // Lists and tuples (kinds 7 and 8) are version 5's (and 6's) only.
  const uint8_t last_kind =
      static_cast<uint8_t>(version >= 5 ? Value::Kind::kTuple : Value::Kind::kCustom);
  if (kind > last_kind) {
    return Status::Corruption("entry header: unknown value kind " + std::to_string(kind) +
                              " in format version " + std::to_string(version));
  }
  if (version == 5 && kind != static_cast<uint8_t>(Value::Kind::kList) &&
      kind != static_cast<uint8_t>(Value::Kind::kTuple)) {
    return Status::Corruption("entry header: format version 5 for a value that is not a list");
  }
  const uint8_t known = version >= 3 ? kFlagInlineChunks | kFlagBricks : kFlagInlineChunks;
  if (h.flags & ~known) {
    return Status::Corruption("entry header: unknown flags " + std::to_string(h.flags));
  }
  h.flags &= kFlagInlineChunks;  // the brick flag is the encoding's: bricked() says it
  if (version >= 3) {
    h.key.emplace();
    std::memcpy(h.key->data(), key.data(), 32);
  }
  h.lz4 = version == 6;
  if (h.payload_bytes > 0 && (h.chunk_bytes == 0 || h.chunk_bytes > kMaxChunkBytes)) {
    return Status::Corruption("entry header: chunk size " + std::to_string(h.chunk_bytes) +
                              " out of range");
  }
  h.kind = static_cast<Value::Kind>(kind);
  h.kind_header.assign(kind_header.data(), kind_header.size());
  // The 184-byte volume header is version 4's (and 6's) only (the volume
  // header itself is checked where it is decoded).
  if (h.kind == Value::Kind::kVolume && version != 6 &&
      (kind_header.size() == kExtendedLayoutBytes) != (version == 4)) {
    return Status::Corruption("entry header: a volume header of " +
                              std::to_string(kind_header.size()) + " bytes in format version " +
                              std::to_string(version));
  }
  if (version == 4 && h.kind != Value::Kind::kVolume) {
    return Status::Corruption("entry header: format version 4 for a value that is not a volume");
  }
  uint64_t expected_chunks = h.payload_bytes == 0 ? 0 : (h.payload_bytes - 1) / h.chunk_bytes + 1;
  if (bricks) {
    Status s = check_bricks(&h);
    if (!s.ok()) return s;
    expected_chunks = h.grid().count();
  }
  if (h.chunk_count != expected_chunks) {
    return Status::Corruption("entry header: " + std::to_string(h.chunk_count) +
                              " chunks recorded, " + std::to_string(expected_chunks) +
                              " needed for " + std::to_string(h.payload_bytes) + " bytes");
  }
  std::memcpy(h.payload_xxh3_128.data(), sum.data(), 16);
  *header_len = blob.size() - r.remaining();
  return h;
}

std::optional<std::string> layout_column(std::string_view data) {
  size_t len = 0;
  Result<EntryHeader> h = decode_header(data, &len);
  if (!h.ok() || h->kind != Value::Kind::kVolume) return std::nullopt;
  return h->layout_name();
}

void append_inline_chunk(std::string_view chunk_blob, std::string* out) {
  util::put_fixed<uint32_t>(out, static_cast<uint32_t>(chunk_blob.size()));
  out->append(chunk_blob.data(), chunk_blob.size());
}

Result<std::vector<std::string_view>> split_inline_chunks(std::string_view rest, uint64_t count) {
  util::Reader r(rest);
  std::vector<std::string_view> out;
  for (uint64_t i = 0; i < count; ++i) {
    uint32_t len = 0;
    std::string_view blob;
    if (!r.get(&len) || !r.get_bytes(len, &blob)) {
      return Status::Corruption("inline chunk " + std::to_string(i) + " truncated");
    }
    out.push_back(blob);
  }
  if (r.remaining() != 0) return Status::Corruption("trailing bytes after inline chunks");
  return out;
}

namespace {

// Scratch space for a filtered chunk, one per thread, reused across chunks so
// the pipeline allocates nothing per chunk once warm.
std::string& scratch(size_t n) {
  thread_local std::string buf;
  if (buf.size() < n) buf.resize(n);
  return buf;
}

bool valid_shuffle_element(size_t e) { return e == 2 || e == 4 || e == 8; }

}  // namespace

Status encode_chunk(std::string_view raw, int level, size_t shuffle_element, std::string* out,
                    uint64_t seed, ChunkCodec compressor) {
  const size_t start = out->size();
  out->resize(start + kChunkHeaderBytes);
  ChunkCodec codec = ChunkCodec::kNone;
  ChunkFilter filter = ChunkFilter::kNone;
  if (level > 0 && !raw.empty()) {
    std::string_view input = raw;
    if (valid_shuffle_element(shuffle_element) && raw.size() >= shuffle_element) {
      std::string& buf = scratch(raw.size());
      shuffle(reinterpret_cast<const uint8_t*>(raw.data()), raw.size(), shuffle_element,
              reinterpret_cast<uint8_t*>(buf.data()));
      input = std::string_view(buf.data(), raw.size());
      filter = ChunkFilter::kShuffle;
    }
    Status s = compressor == ChunkCodec::kLz4 ? util::lz4_compress(input, out)
                                              : util::zstd_compress(input, level, out);
    if (!s.ok()) return s;
    if (out->size() - start - kChunkHeaderBytes < raw.size()) {
      codec = compressor;
    } else {
      out->resize(start + kChunkHeaderBytes);  // compressing did not help: keep it raw
    }
  }
  if (codec == ChunkCodec::kNone) {
    filter = ChunkFilter::kNone;
    out->append(raw.data(), raw.size());
  }
  char* h = out->data() + start;
  h[0] = static_cast<char>(codec);
  h[1] = static_cast<char>(filter);
  h[2] = static_cast<char>(filter == ChunkFilter::kShuffle ? shuffle_element : 0);
  h[3] = 0;
  const uint32_t raw_size = static_cast<uint32_t>(raw.size());
  const uint64_t sum = util::xxh3_64(raw.data(), raw.size(), seed);
  std::memcpy(h + 4, &raw_size, 4);
  std::memcpy(h + 8, &sum, 8);
  return Status::OK();
}

ChunkCodec chunk_codec(std::string_view blob) {
  return blob.empty() ? ChunkCodec::kNone : static_cast<ChunkCodec>(blob[0]);
}

ChunkFilter chunk_filter(std::string_view blob) {
  return blob.size() < 2 ? ChunkFilter::kNone : static_cast<ChunkFilter>(blob[1]);
}

Status decode_chunk(std::string_view blob, uint64_t raw_size, bool verify, uint8_t* out,
                    uint64_t seed, bool lz4) {
  if (blob.size() < kChunkHeaderBytes) return Status::Corruption("chunk shorter than its header");
  const auto codec = static_cast<uint8_t>(blob[0]);
  const auto filter = static_cast<uint8_t>(blob[1]);
  const auto filter_arg = static_cast<uint8_t>(blob[2]);
  uint32_t stored_raw = 0;
  uint64_t sum = 0;
  std::memcpy(&stored_raw, blob.data() + 4, 4);
  std::memcpy(&sum, blob.data() + 8, 8);
  if (stored_raw != raw_size) {
    return Status::Corruption("chunk records " + std::to_string(stored_raw) +
                              " raw bytes, the header expects " + std::to_string(raw_size));
  }
  if (blob[3] != 0) return Status::Corruption("chunk reserved byte is not zero");
  const bool shuffled = filter == static_cast<uint8_t>(ChunkFilter::kShuffle);
  if (shuffled ? !valid_shuffle_element(filter_arg) || codec == 0
               : filter != static_cast<uint8_t>(ChunkFilter::kNone) || filter_arg != 0) {
    return Status::Corruption("unknown chunk filter " + std::to_string(filter) + "/" +
                              std::to_string(filter_arg));
  }
  const std::string_view payload = blob.substr(kChunkHeaderBytes);
  if (codec == static_cast<uint8_t>(ChunkCodec::kNone)) {
    if (payload.size() != raw_size) {
      return Status::Corruption("raw chunk holds " + std::to_string(payload.size()) +
                                " bytes, expected " + std::to_string(raw_size));
    }
    if (raw_size) std::memcpy(out, payload.data(), raw_size);
  } else if (codec == static_cast<uint8_t>(ChunkCodec::kZstd) ||
             (codec == static_cast<uint8_t>(ChunkCodec::kLz4) && lz4)) {
    uint8_t* dst = shuffled ? reinterpret_cast<uint8_t*>(scratch(raw_size).data()) : out;
    Status s = codec == static_cast<uint8_t>(ChunkCodec::kLz4)
                   ? util::lz4_decompress(payload, dst, raw_size)
                   : util::zstd_decompress(payload, dst, raw_size);
    if (!s.ok()) return s;
    if (shuffled) unshuffle(dst, raw_size, filter_arg, out);
  } else if (codec == static_cast<uint8_t>(ChunkCodec::kLz4)) {
    return Status::Corruption("an LZ4 chunk in an entry of a format before version 6");
  } else {
    return Status::Corruption("unknown chunk codec " + std::to_string(codec));
  }
  if (verify && util::xxh3_64(out, raw_size, seed) != sum) {
    return Status::Corruption("chunk checksum mismatch");
  }
  return Status::OK();
}

std::string_view codec_name(ChunkCodec codec) {
  return codec == ChunkCodec::kZstd ? "zstd" : codec == ChunkCodec::kLz4 ? "lz4" : "none";
}

std::string_view filter_name(ChunkFilter filter) {
  return filter == ChunkFilter::kShuffle ? "shuffle" : "none";
}

std::string checksum_name(const std::array<uint8_t, 16>& payload_xxh3_128) {
  return "xxh3-128:" + util::to_hex(payload_xxh3_128.data(), payload_xxh3_128.size());
}

std::string encode_layout(const VolumeLayout& l) {
  std::string out;
  out.push_back(static_cast<char>(l.pixel_type));
  out.append(3, '\0');
  util::put_fixed<uint32_t>(&out, l.components);
  for (uint64_t s : l.size) util::put_fixed<uint64_t>(&out, s);
  for (double v : l.geometry.spacing) util::put_fixed<double>(&out, v);
  for (double v : l.geometry.origin) util::put_fixed<double>(&out, v);
  for (double v : l.geometry.direction) util::put_fixed<double>(&out, v);
  if (needs_extended_layout(l)) {
    util::put_fixed<uint32_t>(&out, l.dimension);
    out.append(4, '\0');
    util::put_fixed<uint64_t>(&out, l.frames);
    util::put_fixed<double>(&out, l.geometry.time_spacing);
    util::put_fixed<double>(&out, l.geometry.time_origin);
  }
  return out;
}

Result<VolumeLayout> decode_layout(std::string_view bytes) {
  util::Reader r(bytes);
  VolumeLayout l;
  uint8_t type = 0;
  std::string_view pad;
  bool ok = r.get(&type) && r.get_bytes(3, &pad) && r.get(&l.components);
  for (auto& s : l.size) ok = ok && r.get(&s);
  for (auto& v : l.geometry.spacing) ok = ok && r.get(&v);
  for (auto& v : l.geometry.origin) ok = ok && r.get(&v);
  for (auto& v : l.geometry.direction) ok = ok && r.get(&v);
  const bool extended = bytes.size() == kExtendedLayoutBytes;
  std::string_view pad2;
  if (extended) {
    ok = ok && r.get(&l.dimension) && r.get_bytes(4, &pad2) && r.get(&l.frames) &&
         r.get(&l.geometry.time_spacing) && r.get(&l.geometry.time_origin);
  }
  if (!ok || r.remaining() != 0) {
    return Status::Corruption("volume header is " + std::to_string(bytes.size()) +
                              " bytes, expected 152 or 184");
  }
  l.pixel_type = static_cast<PixelType>(type);
  Status s = l.validate();
  if (!s.ok()) return Status::Corruption("volume header: " + s.message());
  // One encoding per layout: the short header for what it can say.
  if (extended != needs_extended_layout(l) || pad.find_first_not_of('\0') != pad.npos ||
      pad2.find_first_not_of('\0') != pad2.npos) {
    return Status::Corruption("volume header: not in its canonical form");
  }
  return l;
}

}  // namespace voxcache::codec
