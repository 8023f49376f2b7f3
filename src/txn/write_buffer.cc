#include "txn/write_buffer.h"

#include <utility>

#include "ziggydb/options.h"

namespace ziggydb {
namespace {

size_t EntryBytes(std::string_view key, const WriteBuffer::Entry& entry) {
  return key.size() + entry.value.size() + WriteBuffer::kEntryOverheadBytes;
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
  const size_t old_bytes = it == entries_.end() ? 0 : EntryBytes(key, it->second);
  const size_t new_bytes = EntryBytes(key, entry);
  if (new_bytes > old_bytes && new_bytes - old_bytes > max_bytes_ - bytes_) {
    return Status::InvalidArgument(
        "transaction write buffer over TransactionOptions::max_write_bytes",
        std::to_string(bytes_ - old_bytes + new_bytes) + " > " + std::to_string(max_bytes_));
  }
  std::string owned_key(key);
  if (!save_points_.empty()) {
    undo_.push_back(
        Undo{owned_key, it == entries_.end() ? std::nullopt : std::optional<Entry>(it->second)});
  }
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
  const size_t mark = save_points_.back();
  save_points_.pop_back();
  // Newest change first: each restores what the key held before it.
  while (undo_.size() > mark) {
    Undo& undo = undo_.back();
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
  undo_.clear();
  save_points_.clear();
}

}  // namespace ziggydb
