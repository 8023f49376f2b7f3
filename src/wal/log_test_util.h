// Test doubles for the WAL tests: a WritableFile appending to a std::string and a SequentialFile
// reading from one, each able to fail on demand, plus a Reporter that records what it is told.
#ifndef ZIGGYDB_WAL_LOG_TEST_UTIL_H_
#define ZIGGYDB_WAL_LOG_TEST_UTIL_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "wal/log_reader.h"
#include "wal/log_writer.h"
#include "ziggydb/env.h"

namespace ziggydb::wal::logtest {

// Appends to a caller-owned string. fail_*_after: that many calls succeed, then every call fails.
class StringSink final : public WritableFile {
 public:
  static constexpr int kNever = -1;
  explicit StringSink(std::string* contents) : contents_(contents) {}

  Status Append(std::string_view data) override {
    ++appends;
    if (Exhausted(&fail_appends_after)) return Status::IOError("injected append failure");
    contents_->append(data);
    return Status::OK();
  }
  Status Flush() override {
    ++flushes;
    if (Exhausted(&fail_flushes_after)) return Status::IOError("injected flush failure");
    return Status::OK();
  }
  Status Sync() override {
    ++syncs;
    if (Exhausted(&fail_syncs_after)) return Status::IOError("injected sync failure");
    return Status::OK();
  }
  Status Close() override {
    ++closes;
    return Status::OK();
  }
  Status Preallocate(uint64_t bytes) override {
    preallocated_bytes = bytes;
    ++preallocates;
    return Status::OK();
  }

  int fail_appends_after = kNever;
  int fail_flushes_after = kNever;
  int fail_syncs_after = kNever;
  int appends = 0, flushes = 0, syncs = 0, closes = 0, preallocates = 0;
  uint64_t preallocated_bytes = 0;

 private:
  static bool Exhausted(int* budget) {
    if (*budget == kNever) return false;
    if (*budget == 0) return true;
    --*budget;
    return false;
  }
  std::string* contents_;
};

// Reads caller-owned bytes, which must outlive it; fails every read once fail_at_offset is
// reached.
class StringSource final : public SequentialFile {
 public:
  explicit StringSource(std::string_view contents, uint64_t fail_at_offset = UINT64_MAX)
      : contents_(contents), fail_at_offset_(fail_at_offset) {}

  Status Read(size_t n, std::string_view* result, char* scratch) override {
    if (position_ >= fail_at_offset_) return Status::IOError("injected read failure");
    const size_t bytes = std::min<size_t>(n, contents_.size() - position_);
    std::memcpy(scratch, contents_.data() + position_, bytes);
    position_ += bytes;
    *result = std::string_view(scratch, bytes);
    return Status::OK();
  }
  Status Skip(uint64_t n) override {
    position_ += std::min<uint64_t>(n, contents_.size() - position_);
    return Status::OK();
  }

 private:
  std::string_view contents_;
  size_t position_ = 0;
  uint64_t fail_at_offset_;
};

struct Report {
  uint64_t offset;
  uint64_t bytes;
  std::string reason;
  bool at_tail;
  size_t records_before;  // how many records ReadRecord had returned when this was reported
};

class RecordingReporter final : public Reader::Reporter {
 public:
  void Corruption(uint64_t offset, uint64_t bytes, std::string_view reason, bool at_tail) override {
    reports.push_back(Report{offset, bytes, std::string(reason), at_tail, records_returned});
  }
  std::vector<Report> reports;
  size_t records_returned = 0;  // maintained by ReadAll
};

// Writes records as log `log_number` and returns the file's bytes.
inline std::string WriteLog(const std::vector<std::string>& records, uint64_t log_number = 1) {
  std::string contents;
  Writer writer(std::make_unique<StringSink>(&contents), log_number, 0);
  for (const std::string& record : records) {
    if (!writer.AddRecord(record).ok()) std::abort();
  }
  if (!writer.Close().ok()) std::abort();
  return contents;
}

// Reads every record of `contents` as log `log_number`.
inline std::vector<std::string> ReadAll(std::string_view contents, RecordingReporter* reporter,
                                        uint64_t log_number = 1) {
  Reader reader(std::make_unique<StringSource>(contents), log_number, reporter);
  std::vector<std::string> records;
  std::string record;
  while (reader.ReadRecord(&record)) {
    records.push_back(record);
    if (reporter != nullptr) reporter->records_returned = records.size();
  }
  return records;
}

}  // namespace ziggydb::wal::logtest

#endif  // ZIGGYDB_WAL_LOG_TEST_UTIL_H_
