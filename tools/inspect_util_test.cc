// The read-only recovery of the inspection commands (tools/inspect_util.h).
#include "tools/inspect_util.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>

#include "testutil/testutil.h"
#include "ziggydb/db.h"

namespace ziggydb::tools {
namespace {

// verify reads the live tables after RecoverReadOnly returns: the reader's lock must last as
// long as the recovery object, or a writer's compaction could delete a table verify then reports
// as missing.
TEST(ReadOnlyRecovery, HoldsTheReadersLockUntilDestroyed) {
  test::TempDir dir;
  const std::string dbname = dir.path() + "/db";
  {
    Options options;
    options.create_if_missing = true;
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(options, dbname, &db).ok());
    ASSERT_TRUE(db->Put(WriteOptions(), "k", "v").ok());
    ASSERT_TRUE(db->Close().ok());
  }
  std::optional<ReadOnlyRecovery> recovery(std::in_place);
  ASSERT_TRUE(RecoverReadOnly(dbname, Options().wal_recovery_mode, &*recovery).ok());
  std::unique_ptr<DB> writer;
  const Status refused = DB::Open(Options(), dbname, &writer);
  EXPECT_FALSE(refused.ok()) << "a writer opened the DB while the recovery held it";
  writer.reset();
  recovery.reset();
  Status opened = DB::Open(Options(), dbname, &writer);
  ASSERT_TRUE(opened.ok()) << opened.ToString();
  EXPECT_TRUE(writer->Close().ok());
}

}  // namespace
}  // namespace ziggydb::tools
