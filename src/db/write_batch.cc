// WriteBatch encoding (docs/format/write_batch.md, version 1):
//   batch  := sequence:fixed64 count:fixed32 record*
//   record := kValue:u8 key:lenprefixed value:lenprefixed
//           | kDeletion:u8 key:lenprefixed
// lenprefixed = varint32 length + bytes; the type byte is the persisted ValueType.
#include "ziggydb/write_batch.h"

#include "base/dbformat.h"
#include "db/write_batch_internal.h"
#include "memtable/memtable.h"
#include "table/format.h"
#include "util/assert.h"
#include "util/coding.h"
#include "ziggydb/options.h"

namespace ziggydb {

// One key limit for the whole engine: a user key the API accepts (kMaxKeyBytes) plus its
// internal-key trailer must be a key every table accepts, through flush, compaction and WAL
// replay alike.
static_assert(kInternalKeyTrailerBytes == kKeySuffixBytes);
static_assert(kMaxKeyBytes + kInternalKeyTrailerBytes == kMaxTableKeyBytes);

namespace {

struct DecodedRecord {
  ValueType type = ValueType::kValue;
  std::string_view key;
  std::string_view value;
};

// Decodes the record at the front of *input and advances past it. Every length is bounded by
// the bytes left and by the API limits, so damaged bytes yield Corruption, never a wild read.
Status DecodeRecord(std::string_view* input, DecodedRecord* record) {
  if (input->empty()) return Status::Corruption("write batch: truncated record");
  const auto type_byte = static_cast<uint8_t>((*input)[0]);
  input->remove_prefix(1);
  if (type_byte == static_cast<uint8_t>(ValueType::kValue)) {
    record->type = ValueType::kValue;
    if (!GetLengthPrefixed(input, &record->key) || !GetLengthPrefixed(input, &record->value)) {
      return Status::Corruption("write batch: bad put record");
    }
  } else if (type_byte == static_cast<uint8_t>(ValueType::kDeletion)) {
    record->type = ValueType::kDeletion;
    record->value = {};
    if (!GetLengthPrefixed(input, &record->key)) {
      return Status::Corruption("write batch: bad delete record");
    }
  } else {
    return Status::Corruption("write batch: unknown record type");
  }
  if (record->key.size() > kMaxKeyBytes || record->value.size() > kMaxValueBytes) {
    return Status::Corruption("write batch: key or value over the size limit");
  }
  return Status::OK();
}

// Calls fn(record) for each record after checking the header; verifies the record count.
template <typename Fn>
Status ForEachRecord(std::string_view rep, Fn&& fn) {
  if (rep.size() < kWriteBatchHeaderBytes) {
    return Status::Corruption("write batch: shorter than its header");
  }
  const uint32_t expected = DecodeFixed32(rep.data() + 8);
  std::string_view input = rep.substr(kWriteBatchHeaderBytes);
  uint32_t found = 0;
  DecodedRecord record;
  while (!input.empty() && found < expected) {
    Status s = DecodeRecord(&input, &record);
    if (!s.ok()) return s;
    ++found;
    fn(record);
  }
  if (found != expected || !input.empty()) {
    return Status::Corruption("write batch: record count does not match the header");
  }
  return Status::OK();
}

bool FitsLimit(size_t current_bytes, size_t added_bytes) {
  return added_bytes <= kMaxWriteBatchBytes && current_bytes <= kMaxWriteBatchBytes - added_bytes;
}

}  // namespace

WriteBatch::WriteBatch() {
  Clear();
}

void WriteBatch::Clear() {
  rep_.assign(kWriteBatchHeaderBytes, '\0');
  over_limit_ = false;
}

uint32_t WriteBatch::Count() const {
  return WriteBatchInternal::Count(*this);
}

Status WriteBatch::status() const {
  if (over_limit_) {
    return Status::InvalidArgument("write batch: a key, value or the batch exceeded its limit");
  }
  return Status::OK();
}

void WriteBatch::Put(std::string_view key, std::string_view value) {
  const size_t record_bytes =
      1 + VarintLength(key.size()) + key.size() + VarintLength(value.size()) + value.size();
  if (key.size() > kMaxKeyBytes || value.size() > kMaxValueBytes ||
      !FitsLimit(rep_.size(), record_bytes) || Count() == UINT32_MAX) {
    over_limit_ = true;
    return;
  }
  // The one allocation first, the count last: std::bad_alloc leaves the batch as it was (a
  // count ahead of its records would make the batch decode over the next one's bytes).
  rep_.reserve(rep_.size() + record_bytes);
  rep_.push_back(static_cast<char>(ValueType::kValue));
  PutLengthPrefixed(&rep_, key);
  PutLengthPrefixed(&rep_, value);
  WriteBatchInternal::SetCount(this, Count() + 1);
}

void WriteBatch::Delete(std::string_view key) {
  const size_t record_bytes = 1 + VarintLength(key.size()) + key.size();
  if (key.size() > kMaxKeyBytes || !FitsLimit(rep_.size(), record_bytes) || Count() == UINT32_MAX) {
    over_limit_ = true;
    return;
  }
  rep_.reserve(rep_.size() + record_bytes);  // as in Put
  rep_.push_back(static_cast<char>(ValueType::kDeletion));
  PutLengthPrefixed(&rep_, key);
  WriteBatchInternal::SetCount(this, Count() + 1);
}

void WriteBatch::Append(const WriteBatch& other) {
  WriteBatchInternal::Append(this, other);
}

Status WriteBatch::Iterate(Handler* handler) const {
  ZIGGY_ASSERT(handler != nullptr);
  return ForEachRecord(rep_, [handler](const DecodedRecord& record) {
    if (record.type == ValueType::kValue) {
      handler->Put(record.key, record.value);
    } else {
      handler->Delete(record.key);
    }
  });
}

uint32_t WriteBatchInternal::Count(const WriteBatch& batch) {
  ZIGGY_ASSERT(batch.rep_.size() >= kWriteBatchHeaderBytes);
  return DecodeFixed32(batch.rep_.data() + 8);
}

void WriteBatchInternal::SetCount(WriteBatch* batch, uint32_t count) {
  EncodeFixed32(batch->rep_.data() + 8, count);
}

bool WriteBatchInternal::SequencesInRange(const WriteBatch& batch) {
  const uint64_t first = raw(Sequence(batch));
  const uint64_t count = Count(batch);
  return count >= 1 && first >= 1 && first <= kMaxSequenceNumber &&
         count - 1 <= kMaxSequenceNumber - first;
}

SequenceNumber WriteBatchInternal::Sequence(const WriteBatch& batch) {
  ZIGGY_ASSERT(batch.rep_.size() >= kWriteBatchHeaderBytes);
  return SequenceNumber{DecodeFixed64(batch.rep_.data())};
}

void WriteBatchInternal::SetSequence(WriteBatch* batch, SequenceNumber sequence) {
  EncodeFixed64(batch->rep_.data(), raw(sequence));
}

Status WriteBatchInternal::SetContents(WriteBatch* batch, std::string_view contents) {
  Status s = ForEachRecord(contents, [](const DecodedRecord&) {});
  if (!s.ok()) {
    batch->Clear();
    return s;
  }
  batch->rep_.assign(contents.data(), contents.size());
  batch->over_limit_ = false;
  return Status::OK();
}

void WriteBatchInternal::Append(WriteBatch* dst, const WriteBatch& src) {
  ZIGGY_ASSERT(src.rep_.size() >= kWriteBatchHeaderBytes);
  const size_t added_bytes = src.rep_.size() - kWriteBatchHeaderBytes;
  const uint64_t total_count = uint64_t{Count(*dst)} + Count(src);
  if (src.over_limit_ || !FitsLimit(dst->rep_.size(), added_bytes) || total_count > UINT32_MAX) {
    dst->over_limit_ = true;
    return;
  }
  dst->rep_.append(src.rep_, kWriteBatchHeaderBytes, added_bytes);  // all or nothing
  SetCount(dst, static_cast<uint32_t>(total_count));
}

Status WriteBatchInternal::InsertInto(const WriteBatch& batch, MemTable* memtable) {
  ZIGGY_ASSERT(memtable != nullptr);
  uint64_t sequence = raw(Sequence(batch));
  // A batch read back from a WAL carries its own sequence and count: bad bytes, not a bug.
  if (sequence > kMaxSequenceNumber + 1 - uint64_t{Count(batch)}) {
    return Status::Corruption("write batch: sequence " + std::to_string(sequence) + " + count " +
                              std::to_string(Count(batch)) + " past the largest sequence number");
  }
  return ForEachRecord(batch.rep_, [&sequence, memtable](const DecodedRecord& record) {
    memtable->Add(SequenceNumber{sequence}, record.type, record.key, record.value);
    ++sequence;
  });
}

}  // namespace ziggydb
