// WriteBuffer: a transaction's buffered writes, one entry per key (the last write wins), ordered
// bytewise, with a byte limit and a stack of save points.
//
// Invariants:
//   1. bytes() == the sum over entries of key bytes + value bytes + kEntryOverheadBytes;
//      held_bytes() == bytes() + the same sum over undo_'s records (a key's absence costing its
//      key and the overhead), and never exceeds the limit: a write that would go over it changes
//      nothing.
//   2. While a save point is set, every change is undoable: undo_ holds, oldest first, for each
//      key changed since a save point, its entry (or its absence) as that save point found it:
//      one record per key and save point (an entry's logged_at names the save point its record
//      is for), so overwriting a key again costs nothing more. A save point's records start at
//      its undo_size.
// Thread safety: none (a transaction is used by one thread at a time).
#ifndef ZIGGYDB_TXN_WRITE_BUFFER_H_
#define ZIGGYDB_TXN_WRITE_BUFFER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ziggydb/status.h"
#include "ziggydb/write_batch.h"

namespace ziggydb {

class WriteBuffer {
 public:
  struct Entry {
    bool deleted = false;
    std::string value;       // empty for a delete
    uint64_t logged_at = 0;  // the SavePoint::id undo_ holds this key's record for; 0: none
  };
  using Map = std::map<std::string, Entry, std::less<>>;
  // What each entry costs on top of its key and value (about what the batch encoding adds).
  static constexpr size_t kEntryOverheadBytes = 16;

  explicit WriteBuffer(size_t max_bytes) : max_bytes_(max_bytes) {}

  // InvalidArgument if the key or value is over its limit (ziggydb/options.h) or the buffer
  // would exceed max_bytes; then nothing changes.
  [[nodiscard]] Status Put(std::string_view key, std::string_view value);
  [[nodiscard]] Status Delete(std::string_view key);
  // The buffered write of `key`, or nullptr.
  const Entry* Find(std::string_view key) const;
  const Map& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }
  size_t bytes() const { return bytes_; }
  size_t held_bytes() const { return bytes_ + undo_bytes_; }

  void SetSavePoint() { save_points_.push_back({undo_.size(), ++last_save_point_id_}); }
  // NotFound when no save point is set.
  [[nodiscard]] Status RollbackToSavePoint();

  // The entries as one batch, in key order.
  void ToBatch(WriteBatch* batch) const;
  void Clear();

 private:
  struct Undo {
    std::string key;
    std::optional<Entry> previous;
  };
  struct SavePoint {
    size_t undo_size;  // undo_'s size when it was set
    uint64_t id;       // unique in this buffer's life, from 1
  };

  [[nodiscard]] Status Write(std::string_view key, Entry entry);
  // Sets (or with nullopt removes) key's entry, keeping bytes_ (invariant 1; no limit check).
  void Replace(const std::string& key, std::optional<Entry> entry);

  const size_t max_bytes_;
  Map entries_;
  size_t bytes_ = 0;
  size_t undo_bytes_ = 0;
  std::vector<Undo> undo_;
  std::vector<SavePoint> save_points_;
  uint64_t last_save_point_id_ = 0;
};

}  // namespace ziggydb

#endif  // ZIGGYDB_TXN_WRITE_BUFFER_H_
