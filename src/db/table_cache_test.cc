// TableCache::FindTable's errors: a table the MANIFEST names but the directory lacks is
// Corruption; one whose size cannot be looked at (EIO, EACCES, ESTALE) is an IOError, and a retry
// once the fault is gone opens it.
#include "db/table_cache.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "db/filename.h"
#include "env/fault_env.h"
#include "table/table_builder.h"

namespace ziggydb {
namespace {

TEST(TableCache, AFailedStatIsAnIOErrorAndAMissingTableCorruption) {
  FaultInjectionEnv env;
  ASSERT_TRUE(env.CreateDir("/db").ok());
  const TableOptions options;
  uint64_t file_bytes = 0;
  {
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(env.NewWritableFile(TableFileName("/db", FileNumber{5}), &file).ok());
    TableBuilder builder(options, file.get());
    builder.Add("key", "value");
    ASSERT_TRUE(builder.Finish().ok());
    file_bytes = builder.FileSize();
    ASSERT_TRUE(file->Close().ok());
  }
  TableCache cache("/db", &env, &options, 16, /*use_mmap_reads=*/false);
  std::shared_ptr<const TableReader> table;
  env.InjectError(FaultOp::kStat, ".sst", FaultInjectionEnv::kPersistent);
  Status s = cache.FindTable(FileNumber{5}, file_bytes, &table);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();  // was Corruption: "missing or unreadable"
  env.ClearErrors();
  ASSERT_TRUE(cache.FindTable(FileNumber{5}, file_bytes, &table).ok());
  ASSERT_NE(table, nullptr);
  s = cache.FindTable(FileNumber{6}, file_bytes, &table);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find("missing"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace ziggydb
