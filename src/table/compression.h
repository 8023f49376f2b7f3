// Block compression codecs. A compressed block's contents are
//   [varint32 uncompressed size][codec payload]
// where the payload is a zstd frame, an LZ4 raw block, or a Snappy buffer. The explicit size lets
// every codec decompress into an exactly sized buffer and bounds the allocation up front.
//
// Thread safety: free functions without shared state.
#ifndef ZIGGYDB_TABLE_COMPRESSION_H_
#define ZIGGYDB_TABLE_COMPRESSION_H_

#include <string>
#include <string_view>

#include "ziggydb/options.h"
#include "ziggydb/status.h"

namespace ziggydb {

// True for the four types this build understands.
bool IsKnownCompressionType(uint8_t type);

// Replaces *out with `raw` compressed by `type` (not kNone). False if the codec failed.
[[nodiscard]] bool CompressBlock(CompressionType type, std::string_view raw, std::string* out);

// Replaces *out with the contents `compressed` (written by CompressBlock with `type`) encodes.
// Corruption on any malformed input; never reads outside `compressed`, and allocates the size it
// claims only if the payload can hold that much (zstd and Snappy record their own size, LZ4
// expands at most 255 times) and it is at most kMaxBlockBytes.
[[nodiscard]] Status UncompressBlock(CompressionType type, std::string_view compressed,
                                     std::string* out);

}  // namespace ziggydb

#endif  // ZIGGYDB_TABLE_COMPRESSION_H_
