#include "table/two_level_iterator.h"

#include <string>
#include <utility>

#include "util/assert.h"

namespace ziggydb {
namespace {

class TwoLevelIterator final : public Iterator {
 public:
  TwoLevelIterator(std::unique_ptr<Iterator> index_iter, BlockOpener opener)
      : index_iter_(std::move(index_iter)), opener_(std::move(opener)) {}

  bool Valid() const override { return block_iter_ != nullptr && block_iter_->Valid(); }
  std::string_view key() const override { return block_iter_->key(); }
  std::string_view value() const override { return block_iter_->value(); }

  Status status() const override {
    if (!index_iter_->status().ok()) return index_iter_->status();
    if (block_iter_ != nullptr && !block_iter_->status().ok()) return block_iter_->status();
    return status_;
  }

  void SeekToFirst() override {
    status_ = Status::OK();
    index_iter_->SeekToFirst();
    OpenBlock();
    if (block_iter_ != nullptr) block_iter_->SeekToFirst();
    SkipEmptyBlocksForward();
  }

  void SeekToLast() override {
    status_ = Status::OK();
    index_iter_->SeekToLast();
    OpenBlock();
    if (block_iter_ != nullptr) block_iter_->SeekToLast();
    SkipEmptyBlocksBackward();
  }

  void Seek(std::string_view target) override {
    status_ = Status::OK();
    index_iter_->Seek(target);
    OpenBlock();
    if (block_iter_ != nullptr) block_iter_->Seek(target);
    SkipEmptyBlocksForward();
  }

  void SeekForPrev(std::string_view target) override {
    // The first block whose index key is >= target holds the answer, or the answer is the last
    // key of an earlier block.
    status_ = Status::OK();
    index_iter_->Seek(target);
    if (!index_iter_->Valid() && index_iter_->status().ok()) index_iter_->SeekToLast();
    OpenBlock();
    if (block_iter_ != nullptr) block_iter_->SeekForPrev(target);
    SkipEmptyBlocksBackward();
  }

  void Next() override {
    ZIGGY_ASSERT(Valid());
    block_iter_->Next();
    SkipEmptyBlocksForward();
  }

  void Prev() override {
    ZIGGY_ASSERT(Valid());
    block_iter_->Prev();
    SkipEmptyBlocksBackward();
  }

 private:
  // True if iteration must stop here: positioned, out of blocks, or failed.
  bool Settled() const {
    if (block_iter_ == nullptr) return true;
    return block_iter_->Valid() || !block_iter_->status().ok() || !status_.ok();
  }

  void SkipEmptyBlocksForward() {
    while (!Settled()) {
      index_iter_->Next();
      OpenBlock();
      if (block_iter_ != nullptr) block_iter_->SeekToFirst();
    }
  }

  void SkipEmptyBlocksBackward() {
    while (!Settled()) {
      index_iter_->Prev();
      OpenBlock();
      if (block_iter_ != nullptr) block_iter_->SeekToLast();
    }
  }

  // Points block_iter_ at the block the index iterator names (reusing it if it is the same
  // block), or at nothing when the index iterator is not valid or the block cannot be opened.
  void OpenBlock() {
    if (!index_iter_->Valid()) {
      block_iter_.reset();
      return;
    }
    const std::string_view handle = index_iter_->value();
    if (block_iter_ != nullptr && block_iter_->status().ok() && handle == block_handle_) return;
    block_iter_.reset();
    std::unique_ptr<Iterator> block;
    Status s = opener_(handle, &block);
    if (!s.ok()) {
      if (status_.ok()) status_ = std::move(s);
      return;
    }
    ZIGGY_ASSERT(block != nullptr);
    block_iter_ = std::move(block);
    block_handle_.assign(handle);
  }

  const std::unique_ptr<Iterator> index_iter_;
  const BlockOpener opener_;
  // INVARIANT: when non-null, block_iter_ iterates the block named by block_handle_.
  std::unique_ptr<Iterator> block_iter_;
  std::string block_handle_;
  Status status_;  // first opener failure since the last Seek*: a positioning starts afresh
};

}  // namespace

std::unique_ptr<Iterator> NewTwoLevelIterator(std::unique_ptr<Iterator> index_iter,
                                              BlockOpener opener) {
  return std::make_unique<TwoLevelIterator>(std::move(index_iter), std::move(opener));
}

}  // namespace ziggydb
