// WriteBatchInternal: the DB's access to a WriteBatch's encoding (docs/format/write_batch.md),
// which the public class keeps private.
//
// Thread safety: as WriteBatch — the caller synchronises access to one batch.
#ifndef ZIGGYDB_DB_WRITE_BATCH_INTERNAL_H_
#define ZIGGYDB_DB_WRITE_BATCH_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/dbformat.h"
#include "ziggydb/status.h"
#include "ziggydb/write_batch.h"

namespace ziggydb {

class MemTable;

// Encoded header: fixed64 first sequence number, fixed32 update count.
inline constexpr size_t kWriteBatchHeaderBytes = 12;
// Version of docs/format/write_batch.md that this code writes and reads.
inline constexpr uint32_t kWriteBatchFormatVersion = 1;

class WriteBatchInternal {
 public:
  static uint32_t Count(const WriteBatch& batch);
  static void SetCount(WriteBatch* batch, uint32_t count);

  // The sequence number of the batch's first update; update i gets Sequence() + i.
  static SequenceNumber Sequence(const WriteBatch& batch);
  static void SetSequence(WriteBatch* batch, SequenceNumber sequence);

  // True iff the batch holds updates and they take sequence numbers inside 1..kMaxSequenceNumber
  // (Sequence() >= 1, Sequence() + Count() - 1 <= kMaxSequenceNumber, computed without
  // wrapping). What a batch read back from a log must satisfy before it is applied.
  static bool SequencesInRange(const WriteBatch& batch);

  // The encoded batch (what one WAL record holds).
  static std::string_view Contents(const WriteBatch& batch) { return batch.rep_; }
  static size_t ByteSize(const WriteBatch& batch) { return batch.rep_.size(); }
  // The bytes its buffer holds (at least ByteSize).
  static size_t Capacity(const WriteBatch& batch) { return batch.rep_.capacity(); }

  // Replaces the batch with `contents` after checking that it decodes completely (header, every
  // record, count). Corruption leaves the batch cleared.
  [[nodiscard]] static Status SetContents(WriteBatch* batch, std::string_view contents);

  // Appends src's updates after dst's; dst keeps its sequence number. An over-limit mark on src
  // carries over to dst.
  static void Append(WriteBatch* dst, const WriteBatch& src);

  // Adds every update to the memtable under consecutive sequence numbers starting at
  // Sequence(batch). Precondition: the batch decodes (it was built through the API or accepted by
  // SetContents); Corruption otherwise, possibly after inserting a prefix.
  [[nodiscard]] static Status InsertInto(const WriteBatch& batch, MemTable* memtable);
};

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_WRITE_BATCH_INTERNAL_H_
