#include "tools/bench/ycsb_spec.h"

#include <string>

#include <gtest/gtest.h>

namespace ziggydb::bench {
namespace {

YcsbSpec Parse(std::string_view text, Status* status) {
  YcsbSpec spec;
  spec.name = "test";
  *status = ParseYcsbProperties(text, "test.properties", &spec);
  return spec;
}

TEST(YcsbSpec, ParsesEveryKeyWithCommentsAndWhitespace) {
  Status s;
  const YcsbSpec spec = Parse(
      "# comment\n! also a comment\n\n recordcount = 500 \noperationcount=7\n"
      "readproportion=0.25\nupdateproportion=0.25\ninsertproportion=0.25\n"
      "scanproportion=0.125\nreadmodifywriteproportion=0.125\nrequestdistribution=latest\n"
      "maxscanlength=50\nscanlengthdistribution=zipfian\nfieldcount=4\nfieldlength=8\n"
      "threadcount=3\ninsertorder=ordered\nworkload=site.ycsb.workloads.CoreWorkload\r\n"
      "readallfields=true",
      &s);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(spec.record_count, 500u);
  EXPECT_EQ(spec.operation_count, 7u);
  EXPECT_DOUBLE_EQ(spec.proportion(YcsbOp::kRead), 0.25);
  EXPECT_DOUBLE_EQ(spec.proportion(YcsbOp::kReadModifyWrite), 0.125);
  EXPECT_EQ(spec.request_distribution, RequestDistribution::kLatest);
  EXPECT_EQ(spec.max_scan_length, 50u);
  EXPECT_TRUE(spec.scan_length_zipfian);
  EXPECT_EQ(spec.value_bytes(), 32u);
  EXPECT_EQ(spec.thread_count, 3);
  EXPECT_FALSE(spec.hashed_keys);
}

TEST(YcsbSpec, NormalizesProportions) {
  Status s;
  const YcsbSpec spec = Parse("readproportion=0.3\nupdateproportion=0.1\n", &s);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_DOUBLE_EQ(spec.proportion(YcsbOp::kRead), 0.75);
  EXPECT_DOUBLE_EQ(spec.proportion(YcsbOp::kUpdate), 0.25);
}

TEST(YcsbSpec, UnknownKeyIsAnErrorNamingLineAndKey) {
  Status s;
  Parse("recordcount=10\nreadproportoin=1\n", &s);
  ASSERT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.ToString().find("test.properties:2: unknown key 'readproportoin'"), std::string::npos)
      << s.ToString();
  EXPECT_NE(s.ToString().find("known: recordcount"), std::string::npos) << s.ToString();
}

TEST(YcsbSpec, BadValuesAreErrors) {
  for (const char* text :
       {"recordcount=12x", "recordcount=-1", "recordcount=0", "operationcount=", "fieldcount=1.5",
        "readproportion=1.5", "readproportion=abc", "requestdistribution=hotspot",
        "maxscanlength=0", "insertorder=random", "readallfields=false", "workload=Other",
        "just a line", "readproportion=0\nupdateproportion=0",
        "fieldcount=1024\nfieldlength=1000000"}) {
    Status s;
    Parse(text, &s);
    EXPECT_TRUE(s.IsInvalidArgument()) << text << ": " << s.ToString();
    EXPECT_NE(s.ToString().find("test.properties"), std::string::npos) << s.ToString();
  }
  Status s;
  Parse("recordcount=12x", &s);
  EXPECT_NE(s.ToString().find("bad value '12x' for recordcount"), std::string::npos)
      << s.ToString();
}

TEST(YcsbSpec, ShippedFilesEqualTheBuiltins) {
  for (const YcsbSpec& builtin : BuiltinYcsbSpecs()) {
    const std::string letter = builtin.name.substr(4);
    // Appended piece by piece: GCC 12 under -fsanitize=thread reports a false -Warray-bounds on
    // the same path built with operator+.
    std::string path = ZIGGY_BENCH_WORKLOADS_DIR;
    path.append("/workload").append(letter);
    YcsbSpec spec;
    const Status s = LoadYcsbPropertiesFile(path, &spec);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(spec.name, "workload" + letter);
    EXPECT_EQ(spec.proportions, builtin.proportions) << letter;
    EXPECT_EQ(spec.request_distribution, builtin.request_distribution) << letter;
    EXPECT_EQ(spec.record_count, builtin.record_count) << letter;
    EXPECT_EQ(spec.operation_count, builtin.operation_count) << letter;
    EXPECT_EQ(spec.max_scan_length, builtin.max_scan_length) << letter;
    EXPECT_EQ(spec.value_bytes(), builtin.value_bytes()) << letter;
  }
  YcsbSpec spec;
  EXPECT_TRUE(LoadYcsbPropertiesFile("/nonexistent/workloadz", &spec).IsIOError());
}

TEST(YcsbSpec, BuiltinsDescribeTheirMix) {
  ASSERT_NE(FindBuiltinYcsbSpec("ycsbe"), nullptr);
  EXPECT_EQ(FindBuiltinYcsbSpec("ycsbe")->Describe(),
            "5% insert, 95% scan; zipfian; scans of 1..100 (uniform)");
  EXPECT_EQ(FindBuiltinYcsbSpec("ycsbz"), nullptr);
}

}  // namespace
}  // namespace ziggydb::bench
