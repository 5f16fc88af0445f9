// The record of one `voxcache run`: an entry of type "run" holding what the
// command printed, its exit status and a description of every output
// (docs/format.md 2.9). Its encoding is CBOR, so that output of any bytes
// and file names that are not UTF-8 are kept exactly.

#ifndef VOXCACHE_CLI_RUN_MANIFEST_H_
#define VOXCACHE_CLI_RUN_MANIFEST_H_

#include <nlohmann/json.hpp>

#include <memory>
#include <string>

#include "voxcache/key.h"
#include "voxcache/value.h"

namespace voxcache::cli::run {

// The data type of run records; hits of it are run hits in `voxcache stats`.
inline constexpr char kRunType[] = "run";
// The format version of a run record's "format" field.
inline constexpr int kManifestFormat = 2;

// The types every voxcache command registers: the run record.
std::shared_ptr<const TypeRegistry> types();

// The value of a run record, and back (Corruption for another value).
Value manifest_value(nlohmann::json manifest);
Result<nlohmann::json> manifest_of(const Value& v);

// Where the bytes of output `n` of a run live: the whole output, or the
// file at `rel` inside an output directory.
KeyBuilder output_recipe(const std::string& op, const OperationKey& run, size_t n,
                         const std::string& rel);

}  // namespace voxcache::cli::run

#endif  // VOXCACHE_CLI_RUN_MANIFEST_H_
