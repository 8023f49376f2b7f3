// CheckPathExists: "missing" (OK, false) is told apart from "there but not accessible" (IOError)
// for paths in any directory, the root and the relative root included; MayExist (for rollbacks)
// says false only for "missing".
#include "db/filename.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "env/fault_env.h"

namespace ziggydb {
namespace {

void MakeFile(Env* env, const std::string& path) {
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(env->NewWritableFile(path, &file).ok()) << path;
  ASSERT_TRUE(file->Close().ok());
}

TEST(CheckPathExists, TellsMissingFromInaccessibleInEveryKindOfDirectory) {
  FaultInjectionEnv env;
  ASSERT_TRUE(env.CreateDir("/d").ok());
  // A file in a directory, at the root ("/name" was looked for as "//name") and in the relative
  // root ("name" as "./name": the in-memory Env, like a path-keyed store, does not normalize).
  for (const std::string path : {"/d/f", "/f", "f"}) {
    SCOPED_TRACE(path);
    bool exists = true;
    ASSERT_TRUE(CheckPathExists(&env, path, &exists).ok());
    EXPECT_FALSE(exists);
    EXPECT_FALSE(MayExist(&env, path));
    MakeFile(&env, path);
    Status s = CheckPathExists(&env, path, &exists);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_TRUE(exists);
    EXPECT_TRUE(MayExist(&env, path));
    env.MakeInaccessible(path);
    s = CheckPathExists(&env, path, &exists);
    EXPECT_TRUE(s.IsIOError()) << s.ToString();
    EXPECT_FALSE(exists);
    EXPECT_TRUE(MayExist(&env, path));  // in doubt: perhaps the user's
    env.ClearErrors();
  }
  // A missing directory holds nothing; one that cannot be listed is an error.
  bool exists = true;
  ASSERT_TRUE(CheckPathExists(&env, "/none/f", &exists).ok());
  EXPECT_FALSE(exists);
  env.InjectError(FaultOp::kList, "/d", FaultInjectionEnv::kPersistent);
  EXPECT_TRUE(CheckPathExists(&env, "/d/g", &exists).IsIOError());
  EXPECT_TRUE(CheckFileExists(&env, "/d", "g", &exists).IsIOError());
}

}  // namespace
}  // namespace ziggydb
