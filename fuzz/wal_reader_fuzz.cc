// Fuzz target for wal::Reader (src/wal/log_reader.h): the input is a log file numbered 1.
//
// Whatever the bytes, the reader must stay in bounds and keep its reporting contract:
//   - damage reports come in file order, do not overlap, and lie inside the file;
//   - a report with at_tail=true is the last one, made after the last record was returned;
//   - a report with at_tail=false is followed by a returned record;
//   - records come from strictly increasing offsets inside the file;
//   - reading is deterministic, and reading a prefix of the file returns a prefix of the records.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/assert.h"
#include "wal/log_format.h"
#include "wal/log_reader.h"
#include "wal/log_test_util.h"

namespace ziggydb::wal {
namespace {

constexpr uint64_t kLogNumber = 1;

struct Outcome {
  std::vector<std::string> records;
  std::vector<logtest::Report> reports;
};

Outcome Read(std::string_view contents) {
  logtest::RecordingReporter reporter;
  Reader reader(std::make_unique<logtest::StringSource>(contents), kLogNumber, &reporter);
  Outcome outcome;
  std::string record;
  bool have_offset = false;
  uint64_t previous_offset = 0;
  while (reader.ReadRecord(&record)) {
    const uint64_t offset = reader.last_record_offset();
    // Its payload bytes, at least, lie after its first header.
    ZIGGY_ASSERT(offset + kHeaderBytes + record.size() <= contents.size());
    ZIGGY_ASSERT(!have_offset || offset > previous_offset);
    have_offset = true;
    previous_offset = offset;
    outcome.records.push_back(record);
    reporter.records_returned = outcome.records.size();
  }
  ZIGGY_ASSERT(!reader.ReadRecord(&record));
  ZIGGY_ASSERT(reader.io_status().ok());
  outcome.reports = reporter.reports;
  return outcome;
}

void CheckReports(const Outcome& outcome, size_t file_bytes) {
  uint64_t previous_end = 0;
  for (size_t i = 0; i < outcome.reports.size(); ++i) {
    const logtest::Report& report = outcome.reports[i];
    ZIGGY_ASSERT(report.bytes > 0);
    ZIGGY_ASSERT(report.offset >= previous_end);
    ZIGGY_ASSERT(report.offset + report.bytes <= file_bytes);
    ZIGGY_ASSERT(!report.reason.empty());
    previous_end = report.offset + report.bytes;
    if (report.at_tail) {
      ZIGGY_ASSERT(i + 1 == outcome.reports.size());
      ZIGGY_ASSERT(report.records_before == outcome.records.size());
    } else {
      ZIGGY_ASSERT(report.records_before < outcome.records.size());
    }
  }
}

}  // namespace
}  // namespace ziggydb::wal

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace wal = ziggydb::wal;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const wal::Outcome outcome = wal::Read(input);
  wal::CheckReports(outcome, size);

  const wal::Outcome again = wal::Read(input);
  ZIGGY_ASSERT(again.records == outcome.records);
  ZIGGY_ASSERT(again.reports.size() == outcome.reports.size());

  // A cut chosen by the input itself, so the fuzzer can steer it.
  const size_t cut = size == 0 ? 0 : (static_cast<size_t>(data[0]) * 257 + data[size - 1]) % size;
  const wal::Outcome prefix = wal::Read(input.substr(0, cut));
  wal::CheckReports(prefix, cut);
  ZIGGY_ASSERT(prefix.records.size() <= outcome.records.size());
  for (size_t i = 0; i < prefix.records.size(); ++i) {
    ZIGGY_ASSERT(prefix.records[i] == outcome.records[i]);
  }
  return 0;
}
