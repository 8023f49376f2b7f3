#include "db/level_iterator.h"

#include <algorithm>
#include <utility>

#include "util/assert.h"

namespace ziggydb {
namespace {

// A run of tables (sorted, not overlapping), concatenated. Positions itself in one table at a
// time: file_index_ names it, table_ pins its reader and table_iter_ walks it.
class LevelIterator final : public Iterator {
 public:
  LevelIterator(const InternalKeyComparator* icmp, std::shared_ptr<const Version::FileList> files,
                TableCache* table_cache, const ReadOptions& options)
      : icmp_(icmp),
        files_(std::move(files)),
        table_cache_(table_cache),
        options_(options),
        file_index_(files_->size()) {}

  bool Valid() const override { return table_iter_ != nullptr && table_iter_->Valid(); }
  std::string_view key() const override { return table_iter_->key(); }
  std::string_view value() const override { return table_iter_->value(); }
  Status status() const override {
    if (!status_.ok()) return status_;
    return table_iter_ != nullptr ? table_iter_->status() : Status::OK();
  }

  void SeekToFirst() override {
    status_ = Status::OK();
    OpenTable(0);
    if (table_iter_ != nullptr) table_iter_->SeekToFirst();
    SkipEmptyTablesForward();
  }
  void SeekToLast() override {
    status_ = Status::OK();
    OpenTable(files_->empty() ? 0 : files_->size() - 1);
    if (table_iter_ != nullptr) table_iter_->SeekToLast();
    SkipEmptyTablesBackward();
  }
  // The first table whose largest key is >= target is the only one that may hold target or the
  // first key after it.
  void Seek(std::string_view target) override {
    status_ = Status::OK();
    OpenTable(FirstTableNotBefore(target));
    if (table_iter_ != nullptr) table_iter_->Seek(target);
    SkipEmptyTablesForward();
  }
  // The answer is in that table, or it is the last key of an earlier one (or of the last table
  // when target is past them all).
  void SeekForPrev(std::string_view target) override {
    status_ = Status::OK();
    const size_t index = FirstTableNotBefore(target);
    OpenTable(index < files_->size() || files_->empty() ? index : files_->size() - 1);
    if (table_iter_ != nullptr) table_iter_->SeekForPrev(target);
    SkipEmptyTablesBackward();
  }
  void Next() override {
    ZIGGY_ASSERT(Valid());
    table_iter_->Next();
    SkipEmptyTablesForward();
  }
  void Prev() override {
    ZIGGY_ASSERT(Valid());
    table_iter_->Prev();
    SkipEmptyTablesBackward();
  }

 private:
  size_t FirstTableNotBefore(std::string_view target) const {
    const auto it = std::lower_bound(files_->begin(), files_->end(), target,
                                     [this](const auto& file, std::string_view t) {
                                       return icmp_->Compare(file->largest, t) < 0;
                                     });
    return static_cast<size_t>(it - files_->begin());
  }

  // True if iteration must stop here: positioned, out of tables, or failed.
  bool Settled() const {
    if (table_iter_ == nullptr) return true;
    return table_iter_->Valid() || !table_iter_->status().ok() || !status_.ok();
  }
  void SkipEmptyTablesForward() {
    while (!Settled()) {
      OpenTable(file_index_ + 1);
      if (table_iter_ != nullptr) table_iter_->SeekToFirst();
    }
  }
  void SkipEmptyTablesBackward() {
    while (!Settled()) {
      OpenTable(file_index_ == 0 ? files_->size() : file_index_ - 1);
      if (table_iter_ != nullptr) table_iter_->SeekToLast();
    }
  }

  // Points table_iter_ at table `index` (keeping it when it is already there), or at nothing
  // when index is past the level or the table cannot be opened (status_ then says why).
  void OpenTable(size_t index) {
    if (index >= files_->size()) {
      file_index_ = files_->size();
      table_iter_.reset();
      table_.reset();
      return;
    }
    if (index == file_index_ && table_iter_ != nullptr && table_iter_->status().ok()) return;
    file_index_ = index;
    table_iter_.reset();  // before the reader it reads
    const FileMetaData& file = *(*files_)[index];
    Status s = table_cache_->FindTable(file.number, file.file_bytes, &table_);
    if (!s.ok()) {
      table_.reset();
      if (status_.ok()) status_ = std::move(s);
      return;
    }
    table_iter_ = table_->NewIterator(options_);
  }

  const InternalKeyComparator* const icmp_;
  const std::shared_ptr<const Version::FileList> files_;  // may share a Version's ownership
  TableCache* const table_cache_;
  const ReadOptions options_;
  // INVARIANT: when table_iter_ is non-null it iterates (*files_)[file_index_], whose reader
  // table_ holds; table_ is declared first so that it outlives table_iter_.
  size_t file_index_;
  std::shared_ptr<const TableReader> table_;
  std::unique_ptr<Iterator> table_iter_;
  Status status_;  // first FindTable failure since the last Seek*: a positioning starts afresh
};

}  // namespace

std::unique_ptr<Iterator> NewLevelIterator(const InternalKeyComparator* icmp,
                                           std::shared_ptr<const Version> version, int level,
                                           TableCache* table_cache, const ReadOptions& options) {
  ZIGGY_ASSERT(level >= 1 && level < kNumLevels);
  const Version::FileList* files = &version->files(level);
  // Aliasing: the list lives as long as the Version it belongs to.
  return std::make_unique<LevelIterator>(
      icmp, std::shared_ptr<const Version::FileList>(std::move(version), files), table_cache,
      options);
}

std::unique_ptr<Iterator> NewTableRunIterator(const InternalKeyComparator* icmp,
                                              Version::FileList files, TableCache* table_cache,
                                              const ReadOptions& options) {
  // Each table ends before the next begins.
  ZIGGY_DASSERT(
      std::adjacent_find(files.begin(), files.end(), [icmp](const auto& a, const auto& b) {
        return icmp->Compare(a->largest, b->smallest) >= 0;
      }) == files.end());
  return std::make_unique<LevelIterator>(
      icmp, std::make_shared<const Version::FileList>(std::move(files)), table_cache, options);
}

}  // namespace ziggydb
