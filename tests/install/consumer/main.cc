// Uses the installed public headers and library the way an application would. Exits non-zero,
// naming the failed check, if anything behaves unexpectedly; prints the version and "consumer: ok"
// otherwise (tests/install/install_test.sh looks for both lines).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "ziggydb/options.h"
#include "ziggydb/status.h"
#include "ziggydb/version.h"
#include "ziggydb/write_batch.h"

namespace {

void Check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "consumer: check failed: %s\n", what);
    std::exit(1);
  }
}

// Rebuilds a readable trace of a batch's updates.
class TraceHandler : public ziggydb::WriteBatch::Handler {
 public:
  void Put(std::string_view key, std::string_view value) override {
    trace_ += "put(" + std::string(key) + "," + std::string(value) + ")";
  }
  void Delete(std::string_view key) override { trace_ += "del(" + std::string(key) + ")"; }
  const std::string& trace() const { return trace_; }

 private:
  std::string trace_;
};

void CheckWriteBatch() {
  ziggydb::WriteBatch batch;
  batch.Put("k1", "v1");
  batch.Delete("k2");
  batch.Put(std::string_view("k\0z", 3), "");
  Check(batch.Count() == 3, "WriteBatch::Count");
  Check(batch.status().ok(), "WriteBatch::status");
  TraceHandler handler;
  Check(batch.Iterate(&handler).ok(), "WriteBatch::Iterate");
  Check(handler.trace() == std::string("put(k1,v1)del(k2)put(k\0z,)", 26), "WriteBatch trace");
  batch.Clear();
  Check(batch.Count() == 0, "WriteBatch::Clear");
}

void CheckStatus() {
  const ziggydb::Status ok = ziggydb::Status::OK();
  Check(ok.ok() && ok.ToString() == "OK", "Status::OK");
  const ziggydb::Status not_found = ziggydb::Status::NotFound("no such key", "k2");
  Check(!not_found.ok() && not_found.IsNotFound(), "Status::NotFound");
  Check(not_found.ToString().find("no such key") != std::string::npos, "Status::ToString");
  const ziggydb::Status copy = not_found;
  Check(copy.code() == ziggydb::Status::Code::kNotFound, "Status copy");
}

void CheckOptions() {
  ziggydb::Options options;
  Check(options.Validate().ok(), "default Options::Validate");
  options.block_size = 1;  // below the documented 1 KiB minimum
  Check(options.Validate().IsInvalidArgument(), "Options::Validate rejects block_size");
}

}  // namespace

int main() {
  CheckWriteBatch();
  CheckStatus();
  CheckOptions();
#ifdef ZIGGY_PACKAGE_VERSION
  Check(std::strcmp(ZIGGY_PACKAGE_VERSION, ZIGGYDB_VERSION_STRING) == 0,
        "version.h matches the package version");
#endif
  std::printf("ziggydb %s\n", ZIGGYDB_VERSION_STRING);
  std::printf("consumer: ok\n");
  return 0;
}
