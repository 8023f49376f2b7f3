// The table bytes a key range covers in a Version, estimated from the tables' in-memory indexes:
// DB::GetApproximateSizes of the writable and of the read-only DB.
#ifndef ZIGGYDB_DB_APPROXIMATE_SIZES_H_
#define ZIGGYDB_DB_APPROXIMATE_SIZES_H_

#include <cstddef>
#include <cstdint>

#include "db/table_cache.h"
#include "db/version_set.h"
#include "util/comparator.h"
#include "ziggydb/db.h"
#include "ziggydb/status.h"

namespace ziggydb {

// sizes[i] for ranges[i], i < n, as DB::GetApproximateSizes documents. `user` orders user keys.
// Fails only if a table cannot be opened.
[[nodiscard]] Status ApproximateSizes(const Version& version, TableCache* table_cache,
                                      const Comparator* user, const DB::Range* ranges, size_t n,
                                      uint64_t* sizes);

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_APPROXIMATE_SIZES_H_
