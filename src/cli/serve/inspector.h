// What `voxcache serve` answers, without the HTTP: each API call of
// docs/serve.md is one method from a request's path and query parameters
// to a reply. The server (server.cc) only routes requests here.
//
// Read-only by construction: it is handed a Cache opened read-only, and
// calls only reads. Every reply is bounded (kMaxReplyBytes); what a request
// names (keys, boxes, slices) is parsed and checked before anything is read,
// and no part of a request becomes a file name.

#ifndef VOXCACHE_CLI_SERVE_INSPECTOR_H_
#define VOXCACHE_CLI_SERVE_INSPECTOR_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "voxcache/cache.h"

namespace voxcache::cli::serve {

// Bounds of what one request may ask for.
constexpr uint64_t kMaxReplyBytes = 256ull << 20;  // a region's or a volume's voxels
constexpr uint64_t kMaxPageEntries = 1000;         // /api/entries?limit=
constexpr uint64_t kDefaultPageEntries = 100;
constexpr uint64_t kMaxLineageNodes = 500;  // a lineage graph stops growing here
// The viewer's volume: larger volumes are sent every n-th voxel along each
// axis, n the smallest that brings them under this many voxels (256^3).
constexpr uint64_t kMaxViewerVoxels = 256ull * 256 * 256;

struct Reply {
  int status = 200;
  // With a parameter: cpp-httplib 0.11 then sends it as it is. It compresses
  // the bare "application/json" and text/*, with brotli at quality 11 when
  // the browser accepts it: 3.7 s for 2.3 MB, where loopback needs none.
  std::string type = "application/json; charset=utf-8";
  std::string body;
  std::map<std::string, std::string> headers;
};

using Params = std::map<std::string, std::string>;

class Inspector {
 public:
  // `cache` outlives the inspector; `scratch_dir` is a private directory
  // for the files ITK writes (PNG, NIfTI) before they are sent.
  Inspector(Cache* cache, std::string scratch_dir);

  Reply entries(const Params& q);                                    // /api/entries
  Reply entry(const std::string& key_text);                          // /api/entries/<key>
  Reply lineage(const std::string& key_text);                        // .../lineage
  Reply stats();                                                     // /api/stats
  Reply slice_png(const std::string& key_text, const Params& q);     // .../slice.png
  Reply thumbnail_png(const std::string& key_text);                  // .../thumbnail.png
  Reply volume_nifti(const std::string& key_text, const Params& q);  // .../volume.nii
  Reply region(const std::string& key_text, const Params& q);        // .../region

  // An error reply: {"error": message, "kind": "not_found" | "corruption" | ...},
  // 404 for an unknown key, 400 for a bad request, 500 for a damaged entry or I/O.
  static Reply Error(const Status& s);

 private:
  Result<OperationKey> resolve(const std::string& key_text);
  // What `write` writes to a scratch file of the server's own naming (with
  // `extension`), as the reply body of `type`; the file removed either way.
  // An error reply when writing or reading it back fails.
  Reply written(const char* extension, const std::string& type,
                const std::function<Status(const std::string&)>& write);

  Cache* const cache_;
  const std::string scratch_dir_;
  std::atomic<uint64_t> next_file_{0};
};

}  // namespace voxcache::cli::serve

#endif  // VOXCACHE_CLI_SERVE_INSPECTOR_H_
