// Standard input and output as image files, for `import -` and
// `export KEY -`: ITK reads and writes named files and picks the format by
// the name, so the bytes pass through a file in a ScratchDir.

#ifndef VOXCACHE_CLI_STDIO_H_
#define VOXCACHE_CLI_STDIO_H_

#include <string>

#include "voxcache/status.h"

namespace voxcache::cli {

// The formats a single stream can hold (no .hdr/.img, .nhdr or .mhd pairs).
constexpr const char* kStreamFormats = "nii, nii.gz, nrrd, mha or png";

// Copies standard input whole into `dir`, under the extension its first
// bytes call for (gzip: .nii.gz; NRRD, MetaImage, PNG, NIfTI-1 by their
// magic), and returns the file's path. A terminal on standard input, or
// bytes of no format voxcache reads from a stream, are InvalidArgument
// and NotSupported.
Result<std::string> stdin_to_file(const std::string& dir);

// True for a format name kStreamFormats lists ("nii.gz", ...).
bool is_stream_format(const std::string& format);

// Copies the file at `path` to standard output. A terminal there is refused
// before anything is written: check_stdout_free() first.
Status file_to_stdout(const std::string& path);
Status check_stdout_free();

}  // namespace voxcache::cli

#endif  // VOXCACHE_CLI_STDIO_H_
