// Writing the DB's new tables (flush and compaction outputs), and the registry of table numbers
// being written that DeleteObsoleteFiles must not delete.
//
// Order of a new table (docs/design/recovery.md): build it, sync it, close it, re-open it when
// verifying (Options::paranoid_checks), and only then count it as written; the caller syncs the
// directory and names the table in a MANIFEST edit. A table that fails any step is removed: a
// failed output leaves no file behind.
#ifndef ZIGGYDB_DB_TABLE_OUTPUT_H_
#define ZIGGYDB_DB_TABLE_OUTPUT_H_

#include <cstdint>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "base/dbformat.h"
#include "db/table_cache.h"
#include "db/version_edit.h"
#include "table/table_builder.h"
#include "table/table_options.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"
#include "ziggydb/env.h"
#include "ziggydb/status.h"

namespace ziggydb {

class PendingOutputs;

// A table number registered in a PendingOutputs for the lifetime of this object (move-only).
// Hold it from drawing the number until the table is named by an installed Version, or removed.
class PendingOutput {
 public:
  PendingOutput() = default;  // registers nothing
  PendingOutput(PendingOutput&& other) noexcept;
  PendingOutput& operator=(PendingOutput&& other) noexcept;
  PendingOutput(const PendingOutput&) = delete;
  PendingOutput& operator=(const PendingOutput&) = delete;
  ~PendingOutput();  // unregisters the number

  FileNumber number() const { return number_; }

 private:
  friend class PendingOutputs;
  PendingOutput(PendingOutputs* owner, FileNumber number) : owner_(owner), number_(number) {}
  void Release();

  PendingOutputs* owner_ = nullptr;  // null: registers nothing
  FileNumber number_{};
};

// The numbers of the tables being written and not yet in a Version. Thread-safe: its own mutex
// is a leaf lock (nothing else is acquired while it is held), so a PendingOutput may be dropped
// with or without the DB mutex.
// Invariant relied upon by DeleteObsoleteFiles: a number is registered in the same DB-mutex
// critical section that draws it from VersionSet::NewFileNumber, so a listing of the live files
// taken under the DB mutex sees every table being written either here or at or above
// VersionSet::next_file_number().
class PendingOutputs {
 public:
  PendingOutputs() = default;
  PendingOutputs(const PendingOutputs&) = delete;
  PendingOutputs& operator=(const PendingOutputs&) = delete;
  ~PendingOutputs();  // precondition: no PendingOutput of this registry is left

  // Precondition: number is not registered.
  [[nodiscard]] PendingOutput Register(FileNumber number) EXCLUDES(mu_);
  bool Contains(FileNumber number) const EXCLUDES(mu_);
  // Adds every registered number to *numbers.
  void AddTo(std::set<FileNumber>* numbers) const EXCLUDES(mu_);

 private:
  friend class PendingOutput;
  void Unregister(FileNumber number) EXCLUDES(mu_);

  mutable Mutex mu_;
  std::set<FileNumber> numbers_ GUARDED_BY(mu_);
};

// What writing a table needs from the DB. Every pointer is borrowed and outlives the outputs.
struct TableOutputContext {
  Env* env = nullptr;
  std::string dbname;
  const TableOptions* table_options = nullptr;
  // Opens finished tables to verify them, and forgets the reader of a removed one.
  TableCache* table_cache = nullptr;
  // Options::paranoid_checks: a finished table is re-opened through table_cache (footer, index
  // and meta blocks read and checked) before it counts as written.
  bool verify = false;
};

// One new table file: Create, Add entries in internal-key order, Finish. Used by one thread.
// Invariant: unless Finish returned OK, the file is gone once this object is (removed on the
// failure, or on destruction of an unfinished output).
class TableOutput {
 public:
  // Creates the file of table `number` (truncating any leftover of that name).
  [[nodiscard]] static Status Create(const TableOutputContext& context, FileNumber number,
                                     std::unique_ptr<TableOutput>* output);
  // file: the file of table `number`, just created (Create makes both).
  TableOutput(const TableOutputContext& context, FileNumber number,
              std::unique_ptr<WritableFile> file);
  TableOutput(const TableOutput&) = delete;
  TableOutput& operator=(const TableOutput&) = delete;
  ~TableOutput();

  // Precondition: not finished; `key` (an internal key of sequence `sequence`) orders after every
  // key added before. A write error surfaces in Finish.
  void Add(std::string_view key, std::string_view value, SequenceNumber sequence);
  uint64_t NumEntries() const { return builder_->NumEntries(); }
  uint64_t FileSize() const { return builder_->FileSize(); }
  // Precondition: at least one entry added, not finished. Writes the rest, syncs, closes and
  // (context.verify) verifies the table, and fills *meta: number, size, key and sequence ranges,
  // entry counts.
  // Does not sync the directory: the caller does, once for all the tables it makes. On failure
  // the file is removed and *meta is left alone.
  [[nodiscard]] Status Finish(FileMetaData* meta);

 private:
  void Remove();

  const TableOutputContext context_;
  FileMetaData meta_;  // number and key range of the entries so far
  uint64_t smallest_sequence_ = std::numeric_limits<uint64_t>::max();
  uint64_t largest_sequence_ = 0;
  std::unique_ptr<WritableFile> file_;
  std::unique_ptr<TableBuilder> builder_;
  bool finished_ = false;  // Finish returned OK: the file stays
  bool removed_ = false;
};

// Removes finished table `number` that will not be installed, and its cached reader.
void RemoveTable(const TableOutputContext& context, FileNumber number);

}  // namespace ziggydb

#endif  // ZIGGYDB_DB_TABLE_OUTPUT_H_
