// DBImpl::GetApproximateSizes: the bytes of table files a key range covers, estimated from the
// tables' in-memory indexes over the current Version.
#include <algorithm>
#include <memory>
#include <string>
#include <string_view>

#include "db/db_impl.h"
#include "util/status_macros.h"

namespace ziggydb {
namespace {

// The internal key that orders before every entry of user_key: the seek key for offsets.
std::string SeekKey(std::string_view user_key) {
  std::string key;
  AppendInternalKey(&key, user_key, SequenceNumber{kMaxSequenceNumber}, kValueTypeForSeek);
  return key;
}

}  // namespace

Status DBImpl::GetApproximateSizes(const Range* ranges, size_t n, uint64_t* sizes) {
  ZIGGY_RETURN_IF_ERROR(CheckOpen());
  std::shared_ptr<const Version> version;
  {
    MutexLock lock(&mu_);
    version = versions_->current();
  }
  const Comparator* user = icmp_.user_comparator();
  for (size_t i = 0; i < n; i++) {
    sizes[i] = 0;
    const Range& range = ranges[i];
    if (user->Compare(range.start, range.limit) >= 0) continue;
    const std::string start = SeekKey(range.start);
    const std::string limit = SeekKey(range.limit);
    for (int level = 0; level < kNumLevels; level++) {
      for (const auto& file : version->files(level)) {
        std::string_view smallest = ExtractUserKey(file->smallest);
        std::string_view largest = ExtractUserKey(file->largest);
        if (user->Compare(largest, range.start) < 0 || user->Compare(smallest, range.limit) >= 0) {
          continue;  // no key of the file is in the range
        }
        uint64_t begin = 0;
        uint64_t end = file->file_bytes;
        if (user->Compare(smallest, range.start) < 0 || user->Compare(largest, range.limit) >= 0) {
          std::shared_ptr<const TableReader> table;
          ZIGGY_RETURN_IF_ERROR(table_cache_->FindTable(file->number, file->file_bytes, &table));
          if (user->Compare(smallest, range.start) < 0) begin = table->ApproximateOffsetOf(start);
          if (user->Compare(largest, range.limit) >= 0) end = table->ApproximateOffsetOf(limit);
        }
        sizes[i] += end > begin ? end - begin : 0;
      }
    }
  }
  return Status::OK();
}

}  // namespace ziggydb
