// Options: how a Cache is opened. Every field has a working default.
// PutOptions and RecompressOptions: what one call may say besides (leveldb's
// per-call WriteOptions), so that a new choice is a field, not an overload.

#ifndef VOXCACHE_OPTIONS_H_
#define VOXCACHE_OPTIONS_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "voxcache/export.h"
#include "voxcache/key.h"
#include "voxcache/status.h"

namespace voxcache {

class KeyBuilder;
class TypeRegistry;

// Whether chunks of multi-byte pixels are byte-shuffled before zstd.
// Part of nothing persistent; the choice made is recorded per entry.
enum class ShuffleMode {
  kAuto,    // try it on sample chunks of each entry; keep it where it shrinks them
  kAlways,  // for every volume entry with pixels wider than one byte
  kNever,
};

// The compressor of new entries' chunks (docs/format.md 2.4). Recorded per
// chunk, so entries of both codecs are read alike, and recompress converts.
enum class Codec {
  kDefault,  // Options: the database's `voxcache config codec`, else zstd
  kZstd,     // smaller; compression_level is its level
  kLz4,      // LZ4's fast level: faster to write and read, larger
             // (docs/benchmarks.md 18); compression_level 0 still stores
             // raw chunks, any other level means LZ4's one
};

// The names the config table, the CLI and Python use: "zstd" and "lz4"
// ("default" for kDefault, which is no stored choice).
inline std::string_view codec_name(Codec c) {
  return c == Codec::kLz4 ? "lz4" : c == Codec::kZstd ? "zstd" : "default";
}
// kZstd or kLz4 for their names; nullopt for any other text.
inline std::optional<Codec> parse_codec(std::string_view name) {
  if (name == "zstd") return Codec::kZstd;
  if (name == "lz4") return Codec::kLz4;
  return std::nullopt;
}

// How a volume's voxels are cut into chunks, each compressed on its own
// (docs/format.md, "Chunk layouts"). Recorded per entry: entries of any
// layout are read alike, only the cost of a region read differs.
struct VOXCACHE_EXPORT ChunkLayout {
  enum class Kind : uint8_t {
    kZSlabs,  // slabs of whole z-slices: the fastest full put and get and
              // axial slice; a sagittal or coronal slice decodes everything
    kBricks,  // 3D bricks: every slice orientation and small boxes decode
              // only the bricks they touch
  };
  Kind kind = Kind::kZSlabs;
  // kBricks: voxels per brick along x, y and z; {0, 0, 0} picks the shape
  // from the volume (docs/format.md: 32^3, halved while a brick is over
  // Options::chunk_bytes, clipped to the volume).
  std::array<uint32_t, 3> brick{0, 0, 0};

  static ChunkLayout ZSlabs() { return ChunkLayout(); }
  static ChunkLayout Bricks(uint32_t x = 0, uint32_t y = 0, uint32_t z = 0) {
    return ChunkLayout{Kind::kBricks, {x, y, z}};
  }
  bool operator==(const ChunkLayout& o) const { return kind == o.kind && brick == o.brick; }
  bool operator!=(const ChunkLayout& o) const { return !(*this == o); }

  // "z-slabs", "bricks" (automatic shape) or "bricks 32x32x16"; Parse also
  // takes "bricks 32" for a cube. InvalidArgument for anything else.
  std::string ToString() const;
  static Result<ChunkLayout> Parse(std::string_view text);
};

struct VOXCACHE_EXPORT Options {
  // --- Behaviour ---

  // Create the database file (and its directory) when it does not exist.
  bool create_if_missing = true;

  // Open for reading only: put, erase and get_or_compute's store step return
  // InvalidArgument; nothing in the file is modified, not even access times.
  bool read_only = false;

  // Open a database on a network file system (NFS, CIFS/SMB, Lustre, GPFS,
  // CephFS, BeeGFS, AFS, 9p). Off, that is NotSupported naming the fix:
  // SQLite's WAL mode needs memory shared between the processes of one host
  // and POSIX locks that such file systems do not give, so two nodes
  // writing one database there can corrupt it (docs/reliability.md). On a
  // cluster, put the database on local disk and share through the remote
  // tier. $VOXCACHE_ALLOW_NETWORK_FS=1 turns it on too, for programs that
  // cannot set options (the CLI): for one node alone on such a mount.
  bool allow_network_filesystem = false;

  // Count gets and misses in the statistics and record each entry's last
  // access (the LRU order of eviction). An inspector turns it off, so that
  // looking at a cache is not using it: the CLI's show, thumbnail, ls,
  // verify and serve do. Puts are counted either way.
  bool record_reads = true;

  // Check every chunk's XXH3 checksum (and the entry's whole-payload checksum)
  // on read. A mismatch is Corruption; wrong voxels are never returned.
  bool verify_checksums = true;

  // How long a call waits for another connection's lock before it reports Busy.
  std::chrono::milliseconds busy_timeout{10000};

  // Size limits, enforced after every put: when one is exceeded, the least
  // recently used entries that are not pinned are evicted until the cache is
  // under 90% of each limit. 0: the limit the database is configured with
  // (`voxcache config`, StoredConfig), else no limit.
  uint64_t max_bytes = 0;           // stored bytes of all entries
  uint64_t max_entries = 0;         // number of entries
  std::chrono::seconds max_age{0};  // entries not read or written for longer go

  // The largest the database file may grow, in bytes; 0: no cap but the disk.
  // A put that would pass it fails with IOError and leaves the cache as it
  // was, exactly as on a full disk (which is how the tests make one).
  uint64_t max_database_bytes = 0;

  // Once the write-ahead log passes this size, the next put waits (up to
  // busy_timeout) for readers to reach the end of it so it can start over,
  // and a reset log is truncated to this size. Bounds the WAL under a
  // continuous mixed load; see docs/reliability.md.
  uint64_t wal_limit_bytes = 64ull << 20;

  // Single flight (docs/reliability.md): when several threads or processes
  // ask get_or_compute for the same missing key, one computes and the others
  // wait for its result. The computing process holds a claim it renews every
  // claim_lease / 3; a claim not renewed for claim_lease (its process died)
  // is taken over. A waiter gives up with Busy after compute_wait_timeout.
  std::chrono::milliseconds claim_lease{30000};
  std::chrono::milliseconds compute_wait_timeout{std::chrono::hours(1)};

  // A shared remote tier below the local database (docs/architecture.md):
  // "redis://[user:password@]host[:port][/db]" or "unix:///path.sock".
  // Empty: $VOXCACHE_REMOTE if set, else none. A local miss asks the remote;
  // a remote hit is checked and kept locally. A put is written locally,
  // then pushed (write-through). A remote that is down, slow or full never
  // fails a get or put of the local cache; a malformed URL fails Open.
  std::string remote;
  // The remote's password, when it should not be in a URL that a process
  // list or a log shows (the CLI's --remote-password-file, a secret store).
  // Empty: the URL's own, if any. Set, it replaces the URL's.
  std::string remote_password;
  // A secret shared by every node of a cluster where any node may write the
  // remote (empty: $VOXCACHE_REMOTE_SECRET if set, else none). Set, every
  // entry pushed is signed (HMAC-SHA256 over its key, header and the SHA-256
  // of each chunk), and a remote entry without a right signature is a miss,
  // counted in CacheStats::remote_rejected: a node without the secret cannot
  // make the others serve what it wrote.
  std::string remote_secret;
  // Read from the remote, never publish to it (workers that only consume).
  bool remote_read_only = false;
  // Bound on connecting to the remote and on each command.
  std::chrono::milliseconds remote_timeout{1000};
  // After a remote error, the remote is not asked again for this long.
  std::chrono::milliseconds remote_retry_after{5000};

  // Encoders and decoders of user-defined value types. nullptr: built-in
  // types only. Must not be modified while the Cache is open.
  std::shared_ptr<const TypeRegistry> types;

  // --- Performance ---

  // zstd level for new entries: 1 (fast) to 19 (small); 0 stores chunks
  // uncompressed. Chunks that zstd does not shrink are stored raw anyway.
  // -1: the level the database is configured with (`voxcache config
  // level`), else automatic: 3, or 2 for an entry whose samples compress
  // less than 2.5-fold (mostly noise, where 3 is half as fast for ~1%;
  // docs/format.md, "Compression level").
  int compression_level = -1;

  // The chunks' compressor (Codec above). Entries written with kLz4 are
  // entry format version 6: builds before it report them NotSupported.
  Codec codec = Codec::kDefault;

  // Uncompressed bytes per chunk. Volumes in z-slabs are cut into slabs of
  // whole z-slices close to this size; automatic bricks are at most this
  // large (docs/format.md, "Chunking and chunk layouts"). Each chunk is
  // compressed and checksummed on its own, so reads can stop at any chunk.
  uint64_t chunk_bytes = 1 << 20;

  // The chunk layout of new volume entries, unless a put or write_volume
  // names one. Z-slabs favour whole-volume put and get; bricks favour
  // sagittal and coronal slices and 3D regions (docs/benchmarks.md).
  ChunkLayout layout = ChunkLayout::ZSlabs();

  // Threads that compress and decompress chunks, including the calling
  // thread; 0 means one per hardware thread. Stored bytes are identical
  // whatever the count. One pool per Cache, shared by all its calls.
  unsigned threads = 0;

  // Byte shuffle before zstd (float32 T1 MRI: ~12% smaller; int16 label
  // maps: larger, hence the per-entry trial of kAuto).
  ShuffleMode shuffle = ShuffleMode::kAuto;

  // Decoded values kept in memory, least recently used out first, so a hot
  // result costs no decode on its next get. Counted in raw payload bytes; a
  // value larger than the budget is not kept. 0 turns the tier off.
  uint64_t memory_budget_bytes = 256ull << 20;

  // The largest single value voxcache writes to SQLite; 0 means SQLite's own
  // limit (1,000,000,000 bytes by default). Chunks are made small enough to
  // fit. Lowering it exercises the multi-chunk path with small data (tests).
  uint64_t max_sqlite_value_bytes = 0;
};

// What a put, get_or_compute's store step or write_volume keeps besides the
// value. The defaults store the value alone, in Options::layout.
struct VOXCACHE_EXPORT PutOptions {
  // JSON kept with the entry (EntryInfo::metadata); InvalidArgument if
  // it does not parse. Empty: none.
  std::string metadata_json;
  // The chunk layout of a volume; unset: Options::layout. InvalidArgument
  // for a value that is not a volume, or for a brick shape that is too large.
  std::optional<ChunkLayout> layout;
  // The recipe the key was built from, recorded as the entry's lineage
  // (EntryInfo::operation, recipe, inputs). Read during the call only.
  // InvalidArgument when recipe->build() is not the key.
  const KeyBuilder* recipe = nullptr;
  // Lineage for a key that was not built from a recipe (a pipeline that
  // names its own nodes): the keys of what the value was computed from,
  // recorded as EntryInfo::inputs (and their dependents) without changing
  // the key. InvalidArgument together with `recipe`, which names its own.
  std::vector<OperationKey> inputs;
  // Where put() reports, when it returns OK, whether it wrote the entry:
  // false when the key was stored already (by this or another process, which
  // content addressing makes the same value). Not null: written by put()
  // only, not by get_or_compute (see its store_status) or write_volume.
  bool* stored = nullptr;
  // Replaces an entry already under the key, value and metadata, in one
  // transaction: readers find the old entry or the new, never a miss, and
  // no handle of any process serves the old value from its memory tier
  // afterwards (docs/format.md, totals.replaced). For a key that names a
  // node rather than a computation (content-addressed keys never need it).
  // InvalidArgument in get_or_compute, and with a remote tier, where other
  // nodes keep the copies they pulled.
  bool replace = false;
};

// What Admin::recompress makes of an entry.
struct VOXCACHE_EXPORT RecompressOptions {
  // zstd level, 1 to 19, or 0 for uncompressed chunks; -1 keeps the entry's.
  int level = -1;
  // Converts a volume to this chunk layout; unset keeps the entry's.
  // InvalidArgument for an entry that is not a volume.
  std::optional<ChunkLayout> layout;
  // Rewrites the chunks with this codec; unset (or kDefault) keeps the
  // entry's. (Initialized here so that RecompressOptions{level, layout}
  // stays warning-free under -Wextra.)
  std::optional<Codec> codec = std::nullopt;
};

}  // namespace voxcache

#endif  // VOXCACHE_OPTIONS_H_
