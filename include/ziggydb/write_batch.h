// WriteBatch: a group of updates applied atomically by DB::Write — after any crash, either all of
// them are visible or none is. Updates apply in insertion order, so a later Put of a key in the
// same batch wins over an earlier one.
//
// Thread safety: a batch is a value; synchronise externally to share one between threads.
// Encoding: docs/format/write_batch.md.
#ifndef ZIGGYDB_WRITE_BATCH_H_
#define ZIGGYDB_WRITE_BATCH_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ziggydb/status.h"

namespace ziggydb {

class WriteBatch {
 public:
  // Receives a batch's updates in order, from Iterate.
  class Handler {
   public:
    virtual ~Handler() = default;
    virtual void Put(std::string_view key, std::string_view value) = 0;
    virtual void Delete(std::string_view key) = 0;
  };

  WriteBatch();
  WriteBatch(const WriteBatch&) = default;
  WriteBatch& operator=(const WriteBatch&) = default;
  WriteBatch(WriteBatch&&) noexcept = default;
  WriteBatch& operator=(WriteBatch&&) noexcept = default;
  ~WriteBatch() = default;

  // A key over kMaxKeyBytes or a value over kMaxValueBytes (options.h) is not added; it marks the
  // batch so that DB::Write rejects all of it with InvalidArgument. std::bad_alloc from Put,
  // Delete or Append leaves the batch as it was.
  void Put(std::string_view key, std::string_view value);
  void Delete(std::string_view key);
  // Appends every update of `other`, after this batch's own.
  void Append(const WriteBatch& other);
  void Clear();

  // Number of updates.
  uint32_t Count() const;
  // Bytes of the encoded batch: what it costs in the WAL and, roughly, in the memtable.
  size_t ApproximateSize() const { return rep_.size(); }
  // OK, or InvalidArgument if an update broke a limit since the last Clear.
  Status status() const;

  // Calls the handler for each update in order. Corruption if the encoding is damaged.
  Status Iterate(Handler* handler) const;

 private:
  friend class WriteBatchInternal;

  std::string rep_;  // docs/format/write_batch.md
  bool over_limit_ = false;
};

}  // namespace ziggydb

#endif  // ZIGGYDB_WRITE_BATCH_H_
