// The byte layout of an entry: the header kept in results.data and the chunk
// blobs kept in the chunks table (or inline after a small entry's header).
// docs/format.md is the specification; this file implements it.

#ifndef VOXCACHE_CODEC_ENTRY_FORMAT_H_
#define VOXCACHE_CODEC_ENTRY_FORMAT_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codec/brick_grid.h"
#include "voxcache/status.h"
#include "voxcache/value.h"
#include "voxcache/volume.h"

namespace voxcache::codec {

inline constexpr char kEntryMagic[4] = {'V', 'O', 'X', 'C'};
// Version 2 adds the brick shape (docs/format.md, "Chunk layouts"); version
// 3 binds the entry to its key: the key is inside what the header checksum
// covers, so an entry copied onto another key (a swapped Redis manifest, a
// row moved in SQLite) is Corruption, not another key's voxels. Every entry
// is written as version 3; versions 1 and 2 are still read. Version 4 is
// version 3 with the 184-byte volume header of 2D images, 4D series and
// masks; it is written for those only. Version 5 is version 3 for lists and
// tuples (value kinds 7 and 8), and is written for those only. Version 6 is
// any of versions 3 to 5 whose chunks may be LZ4 blocks (chunk codec 2), so
// that builds before LZ4 say "newer format" of such entries, never "corrupt";
// it is written for entries written with the LZ4 codec only.
inline constexpr uint16_t kEntryFormatVersion = 6;
inline constexpr size_t kChunkHeaderBytes = 16;
// Largest raw chunk: raw_size is a u32 and SQLite values stay below 1 GB.
inline constexpr uint64_t kMaxChunkBytes = uint64_t{1} << 29;
// A one-chunk entry whose chunk blob is at most this large is stored inline
// in results.data: tiny values then cost one row, not two.
inline constexpr size_t kMaxInlineChunkBytes = 16 * 1024;

// Part of the persistent format: never renumber.
enum class ChunkCodec : uint8_t { kNone = 0, kZstd = 1, kLz4 = 2 };
enum class ChunkFilter : uint8_t { kNone = 0, kShuffle = 1 };
// kFlagBricks: version 3 only, the brick shape follows chunk_count (in
// version 2 it always does, in version 1 never).
enum HeaderFlags : uint8_t { kFlagInlineChunks = 1, kFlagBricks = 2 };

struct EntryHeader {
  Value::Kind kind = Value::Kind::kNull;
  uint8_t flags = 0;
  uint64_t payload_bytes = 0;
  uint64_t chunk_bytes = 0;  // raw bytes per chunk; the last may be shorter
  uint64_t chunk_count = 0;
  std::array<uint8_t, 16> payload_xxh3_128{};  // canonical (big-endian) XXH3-128
  std::string kind_header;                     // volume: encoded layout; custom: the tag
  // Version 2, volumes only: voxels per brick; {0,0,0} for chunks that are
  // byte ranges of the payload (z-slabs, and every other value).
  BrickShape brick{0, 0, 0};
  // Version 3: the key the entry was written under (raw 32 bytes); nullopt
  // for an entry of versions 1 and 2, which is bound to nothing. A header
  // with a key is encoded as version 3, or 4 for the 184-byte volume header.
  std::optional<std::array<uint8_t, 32>> key;
  // Version 6: chunks may be LZ4 blocks. Set by the writer of an entry
  // written with the LZ4 codec (and then encoded as version 6), and by
  // decode_header for a version-6 header; a chunk of codec 2 in any other
  // entry is Corruption.
  bool lz4 = false;

  bool inline_chunks() const { return flags & kFlagInlineChunks; }
  // Corruption unless the header is bound to `id` (64 hex digits); OK for an
  // unbound (version 1 or 2) header, which cannot say.
  Status check_key(std::string_view id) const;
  bool bricked() const { return brick[0] != 0; }
  // The brick geometry; set by decode_header, or by set_bricks.
  const BrickGrid& grid() const { return grid_; }
  void set_bricks(const VolumeLayout& layout, const BrickShape& shape);
  // Raw size of chunk i: chunk_bytes, but for the last byte-range chunk and
  // for bricks clipped at the volume's edge.
  uint64_t chunk_raw_size(uint64_t i) const;
  // The chunk layout of a volume: its brick shape, or z-slabs.
  ChunkLayout chunk_layout() const;
  // "z-slabs", "bricks 32x32x32" for volumes; "" for other values.
  std::string layout_name() const;
  // How errors name chunk i: "chunk 3" or "brick 3 at voxel (...)".
  std::string chunk_name(uint64_t i) const;

 private:
  BrickGrid grid_;
};

// Header bytes, ending with the header's own XXH3-64.
std::string encode_header(const EntryHeader& h);
// Parses and checks a header at the start of `blob`; *header_len receives its
// length (inline chunks follow). Corruption for anything inconsistent,
// NotSupported for a newer format version.
Result<EntryHeader> decode_header(std::string_view blob, size_t* header_len);

// The results.layout column of an entry whose results.data is `data`:
// EntryHeader::layout_name() for a volume, nullopt for other values and for
// a header that does not decode.
std::optional<std::string> layout_column(std::string_view data);

// Inline chunks: each is u32 length + chunk blob.
void append_inline_chunk(std::string_view chunk_blob, std::string* out);
Result<std::vector<std::string_view>> split_inline_chunks(std::string_view rest, uint64_t count);

// A chunk blob: 16-byte header (codec, filter, filter argument, raw size,
// XXH3-64 of the raw bytes) and the payload. With `shuffle_element` of 2, 4
// or 8 the bytes are shuffled by that element size before compression
// (filter 1). `codec` kZstd compresses at `level`; kLz4 takes one LZ4 block
// at its fast level whatever `level` (above 0) says. Stored raw and
// unfiltered when that does not make it smaller, or at level 0. `seed`
// seeds the checksum: a brick's index, so that a brick stored in another's
// place fails its check; 0 for byte-range chunks.
Status encode_chunk(std::string_view raw, int level, size_t shuffle_element, std::string* out,
                    uint64_t seed = 0, ChunkCodec codec = ChunkCodec::kZstd);
// Decodes a chunk blob into exactly `raw_size` bytes at `out`. Corruption on
// a wrong size, an unknown codec or filter, an LZ4 chunk where `lz4` (the
// entry header's) does not allow one, a bad frame or block, or (when
// `verify`) a checksum mismatch under `seed`.
Status decode_chunk(std::string_view blob, uint64_t raw_size, bool verify, uint8_t* out,
                    uint64_t seed = 0, bool lz4 = false);
// The checksum seed of chunk i: its index for bricks, else 0.
inline uint64_t chunk_seed(const EntryHeader& h, uint64_t i) { return h.bricked() ? i : 0; }
// The codec and filter bytes of a chunk blob; kNone on a short blob.
ChunkCodec chunk_codec(std::string_view blob);
ChunkFilter chunk_filter(std::string_view blob);

// What the results row and listings call the codec's choices (docs/format.md
// section 1): "none", "zstd" or "lz4", "none" or "shuffle", and the payload checksum
// as "xxh3-128:" + 32 hex digits.
std::string_view codec_name(ChunkCodec codec);
std::string_view filter_name(ChunkFilter filter);
std::string checksum_name(const std::array<uint8_t, 16>& payload_xxh3_128);

// Volume layout: 152 bytes, or 184 for a layout that needs_extended_layout
// (docs/format.md, "Volume header").
std::string encode_layout(const VolumeLayout& layout);
Result<VolumeLayout> decode_layout(std::string_view bytes);
// A 2D image, a 4D series or a mask: what the 152-byte header cannot say.
bool needs_extended_layout(const VolumeLayout& layout);

// InvalidArgument naming the first byte of `data` that is neither 0 nor 1
// (`first_voxel` numbers it): a mask's voxels are bools, and a bool of
// another byte is undefined behaviour for C++ and NumPy alike.
Status check_bool_voxels(const uint8_t* data, uint64_t bytes, uint64_t first_voxel);

}  // namespace voxcache::codec

#endif  // VOXCACHE_CODEC_ENTRY_FORMAT_H_
