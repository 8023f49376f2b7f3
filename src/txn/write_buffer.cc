#include "txn/write_buffer.h"

#include <utility>

#include "ziggydb/options.h"

namespace ziggydb {
namespace {

size_t EntryBytes(std::string_view key, const WriteBuffer::Entry& entry) {
  return key.size() + entry.value.size() + WriteBuffer::kEntryOverheadBytes;
}

// An undo record of key's entry, or of its absence (previous == nullptr).
size_t UndoBytes(std::string_view key, const WriteBuffer::Entry* previous) {
  return previous != nullptr ? EntryBytes(key, *previous)
                             : key.size() + WriteBuffer::kEntryOverheadBytes;
}

}  // namespace

Status WriteBuffer::Put(std::string_view key, std::string_view value) {
  if (value.size() > kMaxValueBytes) {
    return Status::InvalidArgument("value over kMaxValueBytes",
                                   std::to_string(value.size()) + " bytes");
  }
  return Write(key, Entry{false, std::string(value)});
}

Status WriteBuffer::Delete(std::string_view key) {
  return Write(key, Entry{true, {}});
}

Status WriteBuffer::Write(std::string_view key, Entry entry) {
  if (key.size() > kMaxKeyBytes) {
    return Status::InvalidArgument("key over kMaxKeyBytes", std::to_string(key.size()) + " bytes");
  }
  const auto it = entries_.find(key);
  const Entry* previous = it == entries_.end() ? nullptr : &it->second;
  // Invariant 2: the first change of key since the innermost save point logs its record.
  const uint64_t level = save_points_.empty() ? 0 : save_points_.back().id;
  const bool log = level != 0 && (previous == nullptr || previous->logged_at != level);
  const size_t freed = previous == nullptr ? 0 : EntryBytes(key, *previous);
  const size_t added = EntryBytes(key, entry) + (log ? UndoBytes(key, previous) : 0);
  if (added > freed && added - freed > max_bytes_ - held_bytes()) {
    return Status::InvalidArgument(
        "transaction write buffer over TransactionOptions::max_write_bytes",
        std::to_string(held_bytes() - freed + added) + " > " + std::to_string(max_bytes_));
  }
  std::string owned_key(key);
  if (log) {
    undo_.push_back(
        Undo{owned_key, previous == nullptr ? std::nullopt : std::optional<Entry>(*previous)});
    undo_bytes_ += UndoBytes(key, previous);
  }
  entry.logged_at = level;
  Replace(owned_key, std::move(entry));
  return Status::OK();
}

void WriteBuffer::Replace(const std::string& key, std::optional<Entry> entry) {
  const auto it = entries_.find(key);
  if (it != entries_.end()) {
    bytes_ -= EntryBytes(key, it->second);
    if (!entry.has_value()) {
      entries_.erase(it);
      return;
    }
    it->second = std::move(*entry);
    bytes_ += EntryBytes(key, it->second);
    return;
  }
  if (!entry.has_value()) return;
  bytes_ += EntryBytes(key, *entry);
  entries_.emplace(key, std::move(*entry));
}

const WriteBuffer::Entry* WriteBuffer::Find(std::string_view key) const {
  const auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

Status WriteBuffer::RollbackToSavePoint() {
  if (save_points_.empty()) return Status::NotFound("no save point set");
  const size_t mark = save_points_.back().undo_size;
  save_points_.pop_back();
  // Each record restores what its key held when the save point was set.
  while (undo_.size() > mark) {
    Undo& undo = undo_.back();
    undo_bytes_ -= UndoBytes(undo.key, undo.previous ? &*undo.previous : nullptr);
    Replace(undo.key, std::move(undo.previous));
    undo_.pop_back();
  }
  return Status::OK();
}

void WriteBuffer::ToBatch(WriteBatch* batch) const {
  for (const auto& [key, entry] : entries_) {
    if (entry.deleted) {
      batch->Delete(key);
    } else {
      batch->Put(key, entry.value);
    }
  }
}

void WriteBuffer::Clear() {
  entries_.clear();
  bytes_ = 0;
  undo_bytes_ = 0;
  undo_.clear();
  save_points_.clear();
}

}  // namespace ziggydb
