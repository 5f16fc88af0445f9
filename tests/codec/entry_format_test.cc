#include "codec/entry_format.h"

#include <gtest/gtest.h>

#include <random>

#include "test_support.h"
#include "util/xxhash.h"
#include "voxcache/key.h"

namespace voxcache::codec {
namespace {

std::string compressible(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i / 100) % 5);
  return s;
}

std::string random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

TEST(Chunk, CompressibleDataIsZstdAndRoundTrips) {
  const std::string raw = compressible(100000);
  std::string blob;
  ASSERT_OK(encode_chunk(raw, 3, 0, &blob));
  EXPECT_EQ(chunk_codec(blob), ChunkCodec::kZstd);
  EXPECT_LT(blob.size(), raw.size() / 10);
  std::string out(raw.size(), '\0');
  ASSERT_OK(decode_chunk(blob, raw.size(), true, reinterpret_cast<uint8_t*>(out.data())));
  EXPECT_EQ(out, raw);
}

TEST(Chunk, IncompressibleDataAndLevelZeroAreStoredRaw) {
  const std::string raw = random_bytes(50000, 7);
  for (int level : {0, 3}) {
    std::string blob;
    ASSERT_OK(encode_chunk(raw, level, 0, &blob));
    EXPECT_EQ(chunk_codec(blob), ChunkCodec::kNone) << level;
    EXPECT_EQ(blob.size(), raw.size() + kChunkHeaderBytes);
    std::string out(raw.size(), '\0');
    ASSERT_OK(decode_chunk(blob, raw.size(), true, reinterpret_cast<uint8_t*>(out.data())));
    EXPECT_EQ(out, raw);
  }
}

// Every single-bit flip anywhere in a chunk blob is either caught or harmless
// (zstd ignores a few reserved frame bits): never wrong bytes.
TEST(Chunk, EveryBitFlipIsCorruption) {
  int harmless = 0;
  for (const std::string& raw : {compressible(3000), random_bytes(300, 3)}) {
    std::string blob;
    ASSERT_OK(encode_chunk(raw, 3, 0, &blob));
    for (size_t byte = 0; byte < blob.size(); ++byte) {
      for (int bit = 0; bit < 8; ++bit) {
        std::string bad = blob;
        bad[byte] = static_cast<char>(bad[byte] ^ (1 << bit));
        std::string out(raw.size(), '\0');
        Status s = decode_chunk(bad, raw.size(), true, reinterpret_cast<uint8_t*>(out.data()));
        if (s.ok()) {
          ASSERT_EQ(out, raw) << "byte " << byte << " bit " << bit << " gave wrong bytes";
          ++harmless;
        } else {
          ASSERT_TRUE(s.is_corruption())
              << "byte " << byte << " bit " << bit << ": " << s.to_string();
        }
      }
    }
  }
  EXPECT_LE(harmless, 8) << "only a handful of reserved bits may be ignored";
}

TEST(Chunk, TruncationAndWrongSizesAreCorruption) {
  const std::string raw = compressible(5000);
  std::string blob;
  ASSERT_OK(encode_chunk(raw, 3, 0, &blob));
  std::string out(raw.size() + 10, '\0');
  auto* o = reinterpret_cast<uint8_t*>(out.data());
  for (size_t n : {size_t{0}, size_t{5}, kChunkHeaderBytes, blob.size() - 1}) {
    EXPECT_TRUE(decode_chunk(blob.substr(0, n), raw.size(), true, o).is_corruption()) << n;
  }
  EXPECT_TRUE(decode_chunk(blob, raw.size() + 1, true, o).is_corruption());
  std::string unknown = blob;
  unknown[0] = 9;
  Status s = decode_chunk(unknown, raw.size(), true, o);
  EXPECT_TRUE(s.is_corruption());
  EXPECT_NE(s.message().find("unknown chunk codec 9"), std::string::npos);
}

TEST(Chunk, Lz4ChunksRoundTripShuffledOrNotAndNeedAnLz4Entry) {
  const std::string raw = compressible(100000);
  for (size_t element : {size_t{0}, size_t{2}}) {
    std::string blob;
    ASSERT_OK(encode_chunk(raw, 3, element, &blob, 5, ChunkCodec::kLz4));
    EXPECT_EQ(chunk_codec(blob), ChunkCodec::kLz4);
    EXPECT_EQ(chunk_filter(blob), element ? ChunkFilter::kShuffle : ChunkFilter::kNone);
    EXPECT_LT(blob.size(), raw.size() / 10);
    std::string out(raw.size(), '\0');
    auto* o = reinterpret_cast<uint8_t*>(out.data());
    ASSERT_OK(decode_chunk(blob, raw.size(), true, o, 5, /*lz4=*/true));
    EXPECT_EQ(out, raw);
    // Under another brick's seed the checksum fails.
    EXPECT_TRUE(decode_chunk(blob, raw.size(), true, o, 6, true).is_corruption());
    // In an entry written before LZ4 (format version below 6) no writer made
    // such a chunk: it is Corruption, not decoded.
    Status s = decode_chunk(blob, raw.size(), true, o, 5, /*lz4=*/false);
    EXPECT_TRUE(s.is_corruption());
    EXPECT_NE(s.message().find("before version 6"), std::string::npos) << s.to_string();
  }
  // What LZ4 cannot shrink, and level 0, stay raw (codec 0) with it too.
  for (const auto& [bytes, level] :
       {std::pair{random_bytes(50000, 9), 3}, std::pair{compressible(5000), 0}}) {
    std::string blob;
    ASSERT_OK(encode_chunk(bytes, level, 0, &blob, 0, ChunkCodec::kLz4));
    EXPECT_EQ(chunk_codec(blob), ChunkCodec::kNone) << level;
  }
}

// As for zstd: a flipped bit in an LZ4 chunk is caught by the block decoder
// or the checksum, never wrong bytes (LZ4 has no reserved bits to ignore).
TEST(Chunk, EveryBitFlipInAnLz4ChunkIsCorruption) {
  for (const std::string& raw : {compressible(3000), compressible(700) + random_bytes(300, 4)}) {
    std::string blob;
    ASSERT_OK(encode_chunk(raw, 1, 0, &blob, 0, ChunkCodec::kLz4));
    ASSERT_EQ(chunk_codec(blob), ChunkCodec::kLz4);
    for (size_t byte = 0; byte < blob.size(); ++byte) {
      for (int bit = 0; bit < 8; ++bit) {
        std::string bad = blob;
        bad[byte] = static_cast<char>(bad[byte] ^ (1 << bit));
        std::string out(raw.size(), '\0');
        Status s =
            decode_chunk(bad, raw.size(), true, reinterpret_cast<uint8_t*>(out.data()), 0, true);
        if (s.ok()) {
          ASSERT_EQ(out, raw) << "byte " << byte << " bit " << bit << " gave wrong bytes";
        } else {
          ASSERT_TRUE(s.is_corruption()) << byte << "/" << bit << ": " << s.to_string();
        }
      }
    }
  }
}

EntryHeader sample_header() {
  EntryHeader h;
  h.kind = Value::Kind::kVolume;
  h.payload_bytes = 1000;
  h.chunk_bytes = 300;
  h.chunk_count = 4;
  h.kind_header = "abc";
  h.payload_xxh3_128[3] = 7;
  return h;
}

TEST(Header, RoundTrips) {
  const std::string bytes = encode_header(sample_header());
  size_t len = 0;
  Result<EntryHeader> h = decode_header(bytes + "trailing", &len);
  ASSERT_OK(h.status());
  EXPECT_EQ(len, bytes.size());
  EXPECT_EQ(h->kind, Value::Kind::kVolume);
  EXPECT_EQ(h->payload_bytes, 1000u);
  EXPECT_EQ(h->chunk_count, 4u);
  EXPECT_EQ(h->kind_header, "abc");
  EXPECT_EQ(h->payload_xxh3_128[3], 7);
  EXPECT_EQ(h->chunk_raw_size(3), 100u);
}

TEST(Header, EveryTruncationAndFlipIsAnError) {
  const std::string bytes = encode_header(sample_header());
  size_t len = 0;
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(decode_header(bytes.substr(0, n), &len).ok()) << n;
  }
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string bad = bytes;
    bad[i] = static_cast<char>(bad[i] ^ 0x40);
    Result<EntryHeader> h = decode_header(bad, &len);
    EXPECT_FALSE(h.ok()) << "byte " << i;
  }
}

TEST(Header, LyingSizesAndNewerVersionsAreRejected) {
  size_t len = 0;
  EntryHeader lie = sample_header();
  lie.chunk_count = 3;  // 1000 bytes in 300-byte chunks need 4
  Status s = decode_header(encode_header(lie), &len).status();
  EXPECT_TRUE(s.is_corruption());
  EXPECT_NE(s.message().find("3 chunks recorded, 4 needed"), std::string::npos) << s.to_string();

  lie = sample_header();
  lie.chunk_bytes = 0;
  EXPECT_TRUE(decode_header(encode_header(lie), &len).status().is_corruption());

  lie = sample_header();
  lie.payload_bytes = ~uint64_t{0};
  lie.chunk_bytes = 1;
  EXPECT_TRUE(decode_header(encode_header(lie), &len).status().is_corruption());

  lie = sample_header();
  lie.kind = static_cast<Value::Kind>(99);
  EXPECT_TRUE(decode_header(encode_header(lie), &len).status().is_corruption());

  // A newer format version with a valid header checksum: NotSupported.
  std::string newer = encode_header(sample_header());
  newer[4] = kEntryFormatVersion + 1;
  newer.resize(newer.size() - 8);
  const uint64_t sum = util::xxh3_64(newer.data(), newer.size());
  newer.append(reinterpret_cast<const char*>(&sum), 8);
  Status v = decode_header(newer, &len).status();
  EXPECT_TRUE(v.is_not_supported()) << v.to_string();
}

// An entry written with LZ4 is format version 6, so that a build before
// it (which knows 5) says NotSupported, "newer format", of it, never
// Corruption; this build reads it and knows its chunks may be LZ4.
TEST(Header, Lz4EntriesAreVersion6AndDecodeAsSuch) {
  EntryHeader h = sample_header();
  h.key.emplace();
  (*h.key)[0] = 1;
  const std::string plain = encode_header(h);
  EXPECT_EQ(plain[4], 3);
  h.lz4 = true;
  const std::string lz4 = encode_header(h);
  EXPECT_EQ(lz4[4], 6);
  EXPECT_EQ(kEntryFormatVersion, 6);
  size_t len = 0;
  Result<EntryHeader> back = decode_header(lz4, &len);
  ASSERT_OK(back.status());
  EXPECT_TRUE(back->lz4);
  EXPECT_FALSE(decode_header(plain, &len)->lz4);
  // A list or tuple, and an extended volume header, are version 6 too when
  // written with LZ4.
  h.kind = Value::Kind::kTuple;
  h.kind_header.clear();
  back = decode_header(encode_header(h), &len);
  ASSERT_OK(back.status());
  EXPECT_TRUE(back->lz4);
  EXPECT_EQ(back->kind, Value::Kind::kTuple);
}

TEST(Layout, RoundTripsAndRejectsNonsense) {
  VolumeLayout l;
  l.pixel_type = PixelType::kInt16;
  l.components = 3;
  l.size = {7, 3, 5};
  l.geometry = testing::odd_geometry();
  const std::string bytes = encode_layout(l);
  EXPECT_EQ(bytes.size(), 152u);
  Result<VolumeLayout> back = decode_layout(bytes);
  ASSERT_OK(back.status());
  EXPECT_EQ(back->size, l.size);
  EXPECT_TRUE(back->geometry.bit_equal(l.geometry));
  EXPECT_TRUE(decode_layout(bytes.substr(0, 151)).status().is_corruption());
  std::string overflow = bytes;
  for (int i = 8; i < 32; ++i) overflow[i] = '\xff';  // sizes of 2^64-1
  EXPECT_TRUE(decode_layout(overflow).status().is_corruption());
}

TEST(Header, Version3BindsTheKeyAndOlderVersionsStillRead) {
  size_t len = 0;
  EntryHeader bound = sample_header();
  const OperationKey a = KeyBuilder("a").build(), b = KeyBuilder("b").build();
  bound.key = a.bytes();
  const std::string bytes = encode_header(bound);
  EXPECT_EQ(bytes[4], 3) << "a header with a key is version 3";
  Result<EntryHeader> back = decode_header(bytes, &len);
  ASSERT_OK(back.status());
  ASSERT_TRUE(back->key.has_value());
  EXPECT_EQ(*back->key, a.bytes());
  EXPECT_OK(back->check_key(a.hex()));
  Status other = back->check_key(b.hex());
  EXPECT_TRUE(other.is_corruption()) << other.to_string();
  EXPECT_NE(other.message().find("written for key " + a.hex()), std::string::npos)
      << other.message();
  // Any byte of the key changed is a checksum mismatch: the key is covered.
  for (size_t i = 0; i < 32; ++i) {
    std::string flipped = bytes;
    flipped[4 + 2 + 1 + 1 + 24 + i] ^= 1;
    EXPECT_TRUE(decode_header(flipped, &len).status().is_corruption()) << i;
  }
  // Versions 1 and 2 (no key) still decode, bound to nothing.
  const std::string v1 = encode_header(sample_header());
  EXPECT_EQ(v1[4], 1);
  back = decode_header(v1, &len);
  ASSERT_OK(back.status());
  EXPECT_FALSE(back->key.has_value());
  EXPECT_OK(back->check_key(b.hex()));
}

// The header with its version byte replaced and its checksum made good
// again: what a writer of that version would have had to write.
std::string restamped(std::string bytes, uint8_t version) {
  bytes[4] = static_cast<char>(version);
  bytes.resize(bytes.size() - 8);
  const uint64_t sum = util::xxh3_64(bytes.data(), bytes.size());
  bytes.append(reinterpret_cast<const char*>(&sum), 8);
  return bytes;
}

// A one-chunk header of `kind`, bound to a key.
EntryHeader one_chunk(Value::Kind kind, uint64_t payload_bytes) {
  EntryHeader h;
  h.kind = kind;
  h.payload_bytes = h.chunk_bytes = payload_bytes;
  h.chunk_count = 1;
  h.key = KeyBuilder("one chunk").build().bytes();
  return h;
}

TEST(Header, Version5IsForListsAndTuplesAndOnlyThem) {
  size_t len = 0;
  for (Value::Kind kind : {Value::Kind::kList, Value::Kind::kTuple}) {
    const EntryHeader list = one_chunk(kind, 4);
    const std::string bytes = encode_header(list);
    EXPECT_EQ(bytes[4], 5);
    Result<EntryHeader> back = decode_header(bytes, &len);
    ASSERT_OK(back.status());
    EXPECT_EQ(back->kind, kind);
    ASSERT_TRUE(back->key.has_value());
    EXPECT_EQ(*back->key, *list.key);
    // A list in an older version's header cannot have been written by it.
    for (uint8_t older : {3, 4}) {
      Status s = decode_header(restamped(bytes, older), &len).status();
      EXPECT_TRUE(s.is_corruption()) << int(older) << ": " << s.to_string();
    }
  }
  // Version 5 for anything else is Corruption too.
  const std::string three = encode_header(one_chunk(Value::Kind::kInt64, 8));
  EXPECT_EQ(three[4], 3);
  ASSERT_OK(decode_header(three, &len).status());
  Status s = decode_header(restamped(three, 5), &len).status();
  EXPECT_TRUE(s.is_corruption()) << s.to_string();
}

}  // namespace
}  // namespace voxcache::codec
