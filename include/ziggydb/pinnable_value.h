// PinnableValue: the result of a zero-copy DB::Get. It views the value where the DB keeps it (the
// memtable's memory, a table's memory-mapped or cached data block) and holds a reference that
// keeps those bytes alive until Reset, the next Get into it, or destruction, even if meanwhile a
// flush frees the memtable, a compaction deletes the table, or the DB is closed and destroyed.
// Holding it pins memory (a whole memtable or block, a table's mapping): reset it once done.
//
// Thread safety: a plain value; one thread at a time.
#ifndef ZIGGYDB_PINNABLE_VALUE_H_
#define ZIGGYDB_PINNABLE_VALUE_H_

#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace ziggydb {

class PinnableValue {
 public:
  PinnableValue() = default;
  PinnableValue(PinnableValue&& other) noexcept { *this = std::move(other); }
  PinnableValue& operator=(PinnableValue&& other) noexcept {
    if (this == &other) return *this;
    Reset();
    copy_ = std::move(other.copy_);
    value_ = other.owns_copy_ ? std::string_view(copy_) : other.value_;
    owns_copy_ = other.owns_copy_;
    inner_ = std::move(other.inner_);
    outer_ = std::move(other.outer_);
    other.Reset();
    return *this;
  }
  PinnableValue(const PinnableValue&) = delete;
  PinnableValue& operator=(const PinnableValue&) = delete;
  ~PinnableValue() { Reset(); }

  // The value of the last successful Get; empty after Reset or a failed Get.
  std::string_view value() const { return value_; }
  const char* data() const { return value_.data(); }
  size_t size() const { return value_.size(); }
  // True when the value views the DB's memory (no copy was made).
  bool pinned() const { return outer_ != nullptr; }

  // Drops the value and the reference it held.
  void Reset() {
    value_ = {};
    owns_copy_ = false;
    copy_.clear();
    inner_.reset();  // first: it may view memory outer_ owns
    outer_.reset();
  }

  // ---- For DB implementations ----
  // Views `value`, which stays valid while `outer` and `inner` are held (inner is released
  // first).
  void Pin(std::string_view value, std::shared_ptr<const void> outer,
           std::shared_ptr<const void> inner = nullptr) {
    Reset();
    value_ = value;
    outer_ = std::move(outer);
    inner_ = std::move(inner);
  }
  // Holds a copy of `value` (when it has no longer-lived home).
  void Assign(std::string value) {
    Reset();
    copy_ = std::move(value);
    value_ = copy_;
    owns_copy_ = true;
  }

 private:
  std::string_view value_;
  bool owns_copy_ = false;  // value_ views copy_
  std::string copy_;
  std::shared_ptr<const void> inner_;
  std::shared_ptr<const void> outer_;
};

}  // namespace ziggydb

#endif  // ZIGGYDB_PINNABLE_VALUE_H_
