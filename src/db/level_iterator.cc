#include "db/level_iterator.h"

#include <algorithm>
#include <string>
#include <utility>

#include "table/two_level_iterator.h"
#include "util/assert.h"
#include "util/coding.h"

namespace ziggydb {
namespace {

// The index of a level iterator: one entry per file, key = the file's largest internal key,
// value = the file's position in the list (fixed64).
class FileListIterator final : public Iterator {
 public:
  FileListIterator(const InternalKeyComparator* icmp, const Version::FileList* files)
      : icmp_(icmp), files_(files), index_(files->size()) {}

  bool Valid() const override { return index_ < files_->size(); }
  void SeekToFirst() override { index_ = 0; }
  void SeekToLast() override { index_ = files_->empty() ? 0 : files_->size() - 1; }
  // The first file whose largest key is >= target: the only one that may hold target or the
  // first key after it.
  void Seek(std::string_view target) override {
    const auto it = std::lower_bound(files_->begin(), files_->end(), target,
                                     [this](const auto& file, std::string_view t) {
                                       return icmp_->Compare(file->largest, t) < 0;
                                     });
    index_ = static_cast<size_t>(it - files_->begin());
  }
  // The last file whose largest key is <= target (an index entry's order is its key's).
  void SeekForPrev(std::string_view target) override {
    const auto it = std::upper_bound(files_->begin(), files_->end(), target,
                                     [this](std::string_view t, const auto& file) {
                                       return icmp_->Compare(t, file->largest) < 0;
                                     });
    index_ = it == files_->begin() ? files_->size() : static_cast<size_t>(it - files_->begin()) - 1;
  }
  void Next() override {
    ZIGGY_ASSERT(Valid());
    ++index_;
  }
  void Prev() override {
    ZIGGY_ASSERT(Valid());
    index_ = index_ == 0 ? files_->size() : index_ - 1;
  }
  std::string_view key() const override {
    ZIGGY_ASSERT(Valid());
    return (*files_)[index_]->largest;
  }
  std::string_view value() const override {
    ZIGGY_ASSERT(Valid());
    EncodeFixed64(value_, index_);
    return {value_, sizeof(value_)};
  }
  Status status() const override { return Status::OK(); }

 private:
  const InternalKeyComparator* const icmp_;
  const Version::FileList* const files_;
  size_t index_;  // == files_->size(): not valid
  mutable char value_[8];
};

// Forwards to an iterator while keeping alive what it reads: a TableReader (the table cache may
// evict it while the iteration is still inside the table) or a Version (whose file list a level
// iterator walks).
template <typename Pinned>
class PinningIterator final : public Iterator {
 public:
  PinningIterator(std::shared_ptr<const Pinned> pin, std::unique_ptr<Iterator> iter)
      : pin_(std::move(pin)), iter_(std::move(iter)) {}

  bool Valid() const override { return iter_->Valid(); }
  void SeekToFirst() override { iter_->SeekToFirst(); }
  void SeekToLast() override { iter_->SeekToLast(); }
  void Seek(std::string_view target) override { iter_->Seek(target); }
  void SeekForPrev(std::string_view target) override { iter_->SeekForPrev(target); }
  void Next() override { iter_->Next(); }
  void Prev() override { iter_->Prev(); }
  std::string_view key() const override { return iter_->key(); }
  std::string_view value() const override { return iter_->value(); }
  Status status() const override { return iter_->status(); }

 private:
  const std::shared_ptr<const Pinned> pin_;  // declared first: outlives iter_
  const std::unique_ptr<Iterator> iter_;
};

}  // namespace

std::unique_ptr<Iterator> NewLevelIterator(const InternalKeyComparator* icmp,
                                           std::shared_ptr<const Version> version, int level,
                                           TableCache* table_cache, const ReadOptions& options) {
  ZIGGY_ASSERT(level >= 1 && level < kNumLevels);
  const Version::FileList* files = &version->files(level);
  auto concatenated = NewTwoLevelIterator(
      std::make_unique<FileListIterator>(icmp, files),
      [files, table_cache, options](std::string_view index_value,
                                    std::unique_ptr<Iterator>* table_iter) -> Status {
        ZIGGY_ASSERT(index_value.size() == 8);
        const uint64_t index = DecodeFixed64(index_value.data());
        ZIGGY_ASSERT(index < files->size());
        const FileMetaData& file = *(*files)[index];
        std::shared_ptr<const TableReader> table;
        Status s = table_cache->FindTable(file.number, file.file_bytes, &table);
        if (!s.ok()) return s;
        std::unique_ptr<Iterator> iter = table->NewIterator(options);
        *table_iter =
            std::make_unique<PinningIterator<TableReader>>(std::move(table), std::move(iter));
        return Status::OK();
      });
  return std::make_unique<PinningIterator<Version>>(std::move(version), std::move(concatenated));
}

}  // namespace ziggydb
