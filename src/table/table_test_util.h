// In-memory file doubles for table tests: a WritableFile appending to a string, and
// RandomAccessFiles over a string that count their reads — one copying into scratch, one keeping
// the mapped-file contract (env/mapped_file.h) by returning views of the string.
#ifndef ZIGGYDB_TABLE_TABLE_TEST_UTIL_H_
#define ZIGGYDB_TABLE_TABLE_TEST_UTIL_H_

#include <atomic>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "table/table_builder.h"
#include "table/table_reader.h"
#include "ziggydb/env.h"

namespace ziggydb::test {

class StringSink final : public WritableFile {
 public:
  Status Append(std::string_view data) override {
    contents_.append(data);
    return Status::OK();
  }
  Status Flush() override { return Status::OK(); }
  Status Sync() override { return Status::OK(); }
  Status Close() override { return Status::OK(); }
  const std::string& contents() const { return contents_; }

 private:
  std::string contents_;
};

// Reads copy into scratch, as a pread-based file does. Counts calls and bytes.
class CountingStringSource final : public RandomAccessFile {
 public:
  explicit CountingStringSource(std::string contents) : contents_(std::move(contents)) {}

  Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const override {
    reads_.fetch_add(1, std::memory_order_relaxed);
    if (offset > contents_.size()) return Status::IOError("read past end of file");
    n = std::min<size_t>(n, contents_.size() - offset);
    std::memcpy(scratch, contents_.data() + offset, n);
    bytes_.fetch_add(n, std::memory_order_relaxed);
    *result = std::string_view(scratch, n);
    return Status::OK();
  }
  uint64_t reads() const { return reads_.load(std::memory_order_relaxed); }
  uint64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }
  void ResetCounts() {
    reads_ = 0;
    bytes_ = 0;
  }

 private:
  const std::string contents_;
  mutable std::atomic<uint64_t> reads_{0};
  mutable std::atomic<uint64_t> bytes_{0};
};

// A mapped file over a string: Read returns views of it and never touches scratch.
class MappedStringSource final : public RandomAccessFile {
 public:
  explicit MappedStringSource(std::string contents) : contents_(std::move(contents)) {}

  Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const override {
    (void)scratch;
    reads_.fetch_add(1, std::memory_order_relaxed);
    *result = offset >= contents_.size() ? std::string_view()
                                         : std::string_view(contents_).substr(offset, n);
    return Status::OK();
  }
  uint64_t reads() const { return reads_.load(std::memory_order_relaxed); }
  const std::string& contents() const { return contents_; }

 private:
  const std::string contents_;
  mutable std::atomic<uint64_t> reads_{0};
};

// Builds a table of `entries` (in order) and returns its bytes.
inline std::string BuildTable(const TableOptions& options,
                              const std::map<std::string, std::string>& entries) {
  StringSink sink;
  TableBuilder builder(options, &sink);
  for (const auto& [key, value] : entries)
    builder.Add(key, value);
  Status s = builder.Finish();
  if (!s.ok()) return {};
  return sink.contents();
}

// Opens `contents` as a table; *source (if given) observes the reads.
inline Status OpenTable(const TableOptions& options, std::string contents,
                        std::unique_ptr<TableReader>* table,
                        CountingStringSource** source = nullptr, uint64_t file_size = UINT64_MAX) {
  if (file_size == UINT64_MAX) file_size = contents.size();
  auto file = std::make_unique<CountingStringSource>(std::move(contents));
  if (source != nullptr) *source = file.get();
  return TableReader::Open(options, std::move(file), file_size, table);
}

// Opens `contents` as a table over a MappedStringSource (TableReader::OpenMapped); *source (if
// given) observes the reads.
inline Status OpenMappedTable(const TableOptions& options, std::string contents,
                              std::unique_ptr<TableReader>* table,
                              MappedStringSource** source = nullptr) {
  const uint64_t file_size = contents.size();
  auto file = std::make_unique<MappedStringSource>(std::move(contents));
  if (source != nullptr) *source = file.get();
  return TableReader::OpenMapped(options, std::move(file), file_size, table);
}

// OpenTable or OpenMappedTable.
inline Status OpenTableMaybeMapped(bool mapped, const TableOptions& options, std::string contents,
                                   std::unique_ptr<TableReader>* table) {
  return mapped ? OpenMappedTable(options, std::move(contents), table)
                : OpenTable(options, std::move(contents), table);
}

}  // namespace ziggydb::test

#endif  // ZIGGYDB_TABLE_TABLE_TEST_UTIL_H_
