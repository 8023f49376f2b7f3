// Fuzz target for the write batch decoder (WriteBatchInternal::SetContents and
// WriteBatch::Iterate, src/db/write_batch.cc): the input is one encoded batch, as a WAL record
// holds it (docs/format/write_batch.md).
//
// Whatever the bytes, decoding must stay in bounds and:
//   - a rejected batch is left cleared (no updates, header only, sequence 0);
//   - an accepted batch iterates without error, calling the handler exactly Count() times;
//   - rebuilding it through Put/Delete under the same sequence gives the same updates and Count,
//     and an encoding no longer than the input, equal to it whenever the lengths match (the API
//     writes minimal varints, the only freedom the format leaves);
//   - no strict prefix of an accepted batch is accepted (the header fixes the record count);
//   - appending the batch to its rebuilt copy yields its updates twice.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "db/write_batch_internal.h"
#include "util/assert.h"
#include "ziggydb/write_batch.h"

namespace ziggydb {
namespace {

struct Update {
  bool is_put = false;
  std::string key;
  std::string value;

  friend bool operator==(const Update&, const Update&) = default;
};

class RecordingHandler final : public WriteBatch::Handler {
 public:
  void Put(std::string_view key, std::string_view value) override {
    updates.push_back({true, std::string(key), std::string(value)});
  }
  void Delete(std::string_view key) override { updates.push_back({false, std::string(key), {}}); }

  std::vector<Update> updates;
};

std::vector<Update> Updates(const WriteBatch& batch) {
  RecordingHandler handler;
  const Status s = batch.Iterate(&handler);
  ZIGGY_ASSERT(s.ok());
  ZIGGY_ASSERT(handler.updates.size() == batch.Count());
  return handler.updates;
}

void CheckCleared(const WriteBatch& batch) {
  ZIGGY_ASSERT(batch.Count() == 0);
  ZIGGY_ASSERT(WriteBatchInternal::ByteSize(batch) == kWriteBatchHeaderBytes);
  ZIGGY_ASSERT(raw(WriteBatchInternal::Sequence(batch)) == 0);
  ZIGGY_ASSERT(Updates(batch).empty());
}

WriteBatch Rebuild(SequenceNumber sequence, const std::vector<Update>& updates) {
  WriteBatch batch;
  WriteBatchInternal::SetSequence(&batch, sequence);
  for (const Update& update : updates) {
    if (update.is_put) {
      batch.Put(update.key, update.value);
    } else {
      batch.Delete(update.key);
    }
  }
  ZIGGY_ASSERT(batch.status().ok());
  return batch;
}

void CheckAccepted(std::string_view input, const WriteBatch& batch) {
  ZIGGY_ASSERT(WriteBatchInternal::Contents(batch) == input);
  ZIGGY_ASSERT(batch.status().ok());
  const std::vector<Update> updates = Updates(batch);
  // Each update takes at least a type byte and a key length byte.
  ZIGGY_ASSERT(updates.size() <= (input.size() - kWriteBatchHeaderBytes) / 2);

  const WriteBatch rebuilt = Rebuild(WriteBatchInternal::Sequence(batch), updates);
  ZIGGY_ASSERT(rebuilt.Count() == batch.Count());
  ZIGGY_ASSERT(Updates(rebuilt) == updates);
  const std::string_view encoded = WriteBatchInternal::Contents(rebuilt);
  ZIGGY_ASSERT(encoded.size() <= input.size());
  ZIGGY_ASSERT(encoded.size() != input.size() || encoded == input);

  WriteBatch doubled = rebuilt;
  doubled.Append(batch);
  ZIGGY_ASSERT(doubled.status().ok());
  ZIGGY_ASSERT(doubled.Count() == 2 * batch.Count());
  const std::vector<Update> twice = Updates(doubled);
  ZIGGY_ASSERT(std::vector<Update>(twice.begin(), twice.begin() + updates.size()) == updates);
  ZIGGY_ASSERT(std::vector<Update>(twice.begin() + updates.size(), twice.end()) == updates);
}

}  // namespace
}  // namespace ziggydb

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ziggydb;  // NOLINT: a fuzz entry point, not a header
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  WriteBatch batch;
  batch.Put("stale", "contents");  // SetContents must replace these, accepted or not
  if (!WriteBatchInternal::SetContents(&batch, input).ok()) {
    CheckCleared(batch);
    return 0;
  }
  CheckAccepted(input, batch);

  // A cut chosen by the input itself, so the fuzzer can steer it.
  const size_t cut = (static_cast<size_t>(data[0]) * 257 + data[size - 1]) % size;
  WriteBatch prefix;
  ZIGGY_ASSERT(!WriteBatchInternal::SetContents(&prefix, input.substr(0, cut)).ok());
  CheckCleared(prefix);
  return 0;
}
