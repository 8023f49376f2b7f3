// The list-append checker on small hand-made histories: each anomaly it must catch, and clean
// histories (serial, and snapshot-isolated ones with write skew) it must pass.
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "txn/list_append_history.h"

namespace ziggydb::test {
namespace {

class HistoryBuilder {
 public:
  ListTxn& Txn(bool committed = true) {
    history_.push_back(ListTxn{});
    history_.back().id = history_.size();
    history_.back().committed = committed;
    return history_.back();
  }
  CheckResult Check(CheckedIsolation isolation, bool complete = false) const {
    return CheckListAppendHistory(history_, CheckOptions{isolation, complete});
  }

 private:
  std::vector<ListTxn> history_;
};

constexpr CheckedIsolation kSi = CheckedIsolation::kSnapshot;
constexpr CheckedIsolation kSer = CheckedIsolation::kSerializable;

// Checks that `result` reports exactly the anomaly types in `types` (in any number).
void ExpectOnly(const CheckResult& result, std::initializer_list<const char*> types) {
  for (const char* type : types)
    EXPECT_TRUE(result.Has(type)) << "missing " << type << ":\n" << result.ToString();
  for (const ListAnomaly& anomaly : result.anomalies) {
    bool expected = false;
    for (const char* type : types)
      expected = expected || anomaly.type == type;
    EXPECT_TRUE(expected) << "unexpected " << anomaly.type << ": " << anomaly.detail;
  }
}

TEST(ListAppendChecker, SerialHistoryIsClean) {
  HistoryBuilder h;
  h.Txn().Append("x", 1);
  ListTxn& t2 = h.Txn();
  t2.Read("x", {1});
  t2.Append("x", 2);
  t2.Append("y", 3);
  t2.Read("x", {1, 2});
  ListTxn& t3 = h.Txn();
  t3.Read("x", {1, 2});
  t3.Read("y", {3});
  t3.Read("z", {});
  h.Txn(/*committed=*/false).Append("z", 9);  // aborted and never seen
  for (CheckedIsolation level : {kSi, kSer}) {
    const CheckResult result = h.Check(level, /*complete=*/true);
    EXPECT_TRUE(result.ok()) << result.ToString();
    EXPECT_EQ(result.allowed_cycles, 0u);
    EXPECT_EQ(result.committed_txns, 3u);
  }
}

TEST(ListAppendChecker, ConcurrentButSerializableHistoryIsClean) {
  // T1 and T2 overlap but touch different keys; T3 reads T1 only, T4 reads both.
  HistoryBuilder h;
  ListTxn& t1 = h.Txn();
  t1.Read("x", {});
  t1.Append("x", 1);
  ListTxn& t2 = h.Txn();
  t2.Read("y", {});
  t2.Append("y", 2);
  ListTxn& t3 = h.Txn();
  t3.Read("x", {1});
  t3.Read("y", {});
  ListTxn& t4 = h.Txn();
  t4.Read("x", {1});
  t4.Read("y", {2});
  for (CheckedIsolation level : {kSi, kSer}) {
    const CheckResult result = h.Check(level, true);
    EXPECT_TRUE(result.ok()) << result.ToString();
    EXPECT_GT(result.edges_rw, 0u);
  }
}

TEST(ListAppendChecker, WriteSkewIsAllowedUnderSnapshotOnly) {
  // G2-item: both read x and y empty, each appends to one of them.
  HistoryBuilder h;
  ListTxn& t1 = h.Txn();
  t1.Read("x", {});
  t1.Read("y", {});
  t1.Append("x", 1);
  ListTxn& t2 = h.Txn();
  t2.Read("x", {});
  t2.Read("y", {});
  t2.Append("y", 2);
  ListTxn& t3 = h.Txn();
  t3.Read("x", {1});
  t3.Read("y", {2});
  const CheckResult si = h.Check(kSi, true);
  EXPECT_TRUE(si.ok()) << si.ToString();
  EXPECT_EQ(si.allowed_cycles, 1u);
  ExpectOnly(h.Check(kSer, true), {"G2"});
}

TEST(ListAppendChecker, PhantomStyleReadOfAbsentKeysIsG2) {
  // Each scans a range that holds nothing and inserts into it: the rw edges come from reads of
  // absent keys, which a range read records as empty lists.
  HistoryBuilder h;
  ListTxn& t1 = h.Txn();
  t1.Read("r1", {});
  t1.Read("r2", {});
  t1.Append("r1", 1);
  ListTxn& t2 = h.Txn();
  t2.Read("r1", {});
  t2.Read("r2", {});
  t2.Append("r2", 2);
  h.Txn().Read("r1", {1});
  h.Txn().Read("r2", {2});
  EXPECT_TRUE(h.Check(kSi).ok());
  ExpectOnly(h.Check(kSer), {"G2"});
}

TEST(ListAppendChecker, G0WriteCycle) {
  // T1 before T2 on x, T2 before T1 on y.
  HistoryBuilder h;
  ListTxn& t1 = h.Txn();
  t1.Append("x", 1);
  t1.Append("y", 11);
  ListTxn& t2 = h.Txn();
  t2.Append("x", 2);
  t2.Append("y", 12);
  ListTxn& t3 = h.Txn();
  t3.Read("x", {1, 2});
  t3.Read("y", {12, 11});
  for (CheckedIsolation level : {kSi, kSer})
    ExpectOnly(h.Check(level, true), {"G0"});
}

TEST(ListAppendChecker, G1aAbortedRead) {
  HistoryBuilder h;
  h.Txn(false).Append("x", 1);
  h.Txn().Read("x", {1});
  for (CheckedIsolation level : {kSi, kSer})
    ExpectOnly(h.Check(level), {"G1a"});
}

TEST(ListAppendChecker, G1aEvenInAnAbortedReader) {
  HistoryBuilder h;
  h.Txn(false).Append("x", 1);
  h.Txn(false).Read("x", {1});
  ExpectOnly(h.Check(kSer), {"G1a"});
}

TEST(ListAppendChecker, AbortedReaderMaySeeItsOwnAppends) {
  HistoryBuilder h;
  h.Txn().Append("x", 1);
  ListTxn& t2 = h.Txn(false);
  t2.Append("x", 2);
  t2.Read("x", {1, 2});
  h.Txn().Read("x", {1});
  EXPECT_TRUE(h.Check(kSer, true).ok()) << h.Check(kSer, true).ToString();
}

TEST(ListAppendChecker, G1bIntermediateRead) {
  HistoryBuilder h;
  ListTxn& t1 = h.Txn();
  t1.Append("x", 1);
  t1.Append("x", 2);
  h.Txn().Read("x", {1});
  for (CheckedIsolation level : {kSi, kSer})
    ExpectOnly(h.Check(level), {"G1b"});
}

TEST(ListAppendChecker, G1cCircularInformationFlow) {
  // Each reads the other's append.
  HistoryBuilder h;
  ListTxn& t1 = h.Txn();
  t1.Append("x", 1);
  t1.Read("y", {2});
  ListTxn& t2 = h.Txn();
  t2.Append("y", 2);
  t2.Read("x", {1});
  for (CheckedIsolation level : {kSi, kSer})
    ExpectOnly(h.Check(level), {"G1c"});
}

TEST(ListAppendChecker, GSingleReadSkew) {
  // T1 reads x before T2's append and y after it.
  HistoryBuilder h;
  ListTxn& t1 = h.Txn();
  t1.Read("x", {});
  t1.Read("y", {2});
  ListTxn& t2 = h.Txn();
  t2.Append("x", 1);
  t2.Append("y", 2);
  h.Txn().Read("x", {1});
  for (CheckedIsolation level : {kSi, kSer})
    ExpectOnly(h.Check(level, true), {"G-single"});
}

TEST(ListAppendChecker, LostUpdateIsGSingle) {
  // P4: both read x empty and append; the second append is ordered after the first anyway.
  HistoryBuilder h;
  ListTxn& t1 = h.Txn();
  t1.Read("x", {});
  t1.Append("x", 1);
  ListTxn& t2 = h.Txn();
  t2.Read("x", {});
  t2.Append("x", 2);
  h.Txn().Read("x", {1, 2});
  for (CheckedIsolation level : {kSi, kSer})
    ExpectOnly(h.Check(level, true), {"G-single"});
}

TEST(ListAppendChecker, GNonadjacentRwEdges) {
  // T1 -rw-> T2 -wr-> T3 -rw-> T4 -wr-> T1: two rw edges, never adjacent.
  HistoryBuilder h;
  ListTxn& t1 = h.Txn();
  t1.Read("a", {});
  t1.Read("d", {4});
  ListTxn& t2 = h.Txn();
  t2.Append("a", 1);
  t2.Append("b", 2);
  ListTxn& t3 = h.Txn();
  t3.Read("b", {2});
  t3.Read("c", {});
  ListTxn& t4 = h.Txn();
  t4.Append("c", 3);
  t4.Append("d", 4);
  ListTxn& t5 = h.Txn();
  t5.Read("a", {1});
  t5.Read("c", {3});
  for (CheckedIsolation level : {kSi, kSer})
    ExpectOnly(h.Check(level, true), {"G-nonadjacent"});
}

TEST(ListAppendChecker, ForbiddenCycleIsFoundInsideAComponentWithAllowedOnes) {
  // Write skew between T1 and T2 (allowed under SI), plus T1 -wr-> T3 -rw-> T1 (T3 sees T1's
  // append to x but not its append to w): the component holds both kinds of cycle and the
  // forbidden one must still be reported.
  HistoryBuilder h;
  ListTxn& t1 = h.Txn();
  t1.Read("x", {});
  t1.Read("y", {});
  t1.Append("x", 1);
  t1.Append("w", 5);
  ListTxn& t2 = h.Txn();
  t2.Read("x", {});
  t2.Read("y", {});
  t2.Append("y", 2);
  ListTxn& t3 = h.Txn();
  t3.Read("x", {1});
  t3.Read("w", {});
  ListTxn& t4 = h.Txn();
  t4.Read("w", {5});
  t4.Read("y", {2});
  const CheckResult si = h.Check(kSi);
  EXPECT_TRUE(si.Has("G-single")) << si.ToString();
  EXPECT_FALSE(si.Has("G2"));
}

TEST(ListAppendChecker, ReadsThatAreNotPrefixesAreIncompatible) {
  HistoryBuilder h;
  h.Txn().Append("x", 1);
  h.Txn().Append("x", 2);
  h.Txn().Read("x", {1, 2});
  h.Txn().Read("x", {2});
  for (CheckedIsolation level : {kSi, kSer})
    ExpectOnly(h.Check(level), {"incompatible-order"});
}

TEST(ListAppendChecker, GarbageAndDuplicateValues) {
  HistoryBuilder h;
  h.Txn().Append("x", 1);
  h.Txn().Read("x", {1, 1});
  h.Txn().Read("y", {77});
  const CheckResult result = h.Check(kSer);
  EXPECT_TRUE(result.Has("duplicate")) << result.ToString();
  EXPECT_TRUE(result.Has("garbage")) << result.ToString();
}

TEST(ListAppendChecker, CommittedAppendMissingFromACompleteHistoryIsLost) {
  HistoryBuilder h;
  h.Txn().Append("x", 1);
  h.Txn().Append("x", 2);
  h.Txn().Read("x", {1});
  EXPECT_TRUE(h.Check(kSer, /*complete=*/false).ok());
  ExpectOnly(h.Check(kSer, /*complete=*/true), {"lost-append"});
}

TEST(ListAppendChecker, ATransactionMustSeeItsOwnAppends) {
  HistoryBuilder h;
  ListTxn& t1 = h.Txn();
  t1.Append("x", 1);
  t1.Read("x", {});
  ExpectOnly(h.Check(kSer), {"internal"});
}

TEST(ListAppendChecker, RepeatedReadsInOneTransactionMustAgree) {
  HistoryBuilder h;
  h.Txn().Append("x", 1);
  ListTxn& t2 = h.Txn();
  t2.Read("x", {});
  t2.Read("x", {1});
  const CheckResult result = h.Check(kSi);
  EXPECT_TRUE(result.Has("internal")) << result.ToString();
}

TEST(ListAppendChecker, ListEncodingRoundTripsAndRejectsGarbage) {
  std::vector<ListValue> list;
  ASSERT_TRUE(DecodeList("", &list));
  EXPECT_TRUE(list.empty());
  ASSERT_TRUE(DecodeList(EncodeList({3, 18446744073709551615ull, 0}), &list));
  EXPECT_EQ(list, (std::vector<ListValue>{3, 18446744073709551615ull, 0}));
  for (const char* bad : {",", "1,", ",1", "1,,2", "x", "1 2", "-1", "18446744073709551616"})
    EXPECT_FALSE(DecodeList(bad, &list)) << bad;
}

}  // namespace
}  // namespace ziggydb::test
