// Helpers for the cross-module DB tests: the reference model (a std::map), reading a DB back over
// a known key space, finding which prefix of an acknowledged write sequence a recovered DB holds,
// and generating keys and values.
//
// Comparisons read a fixed, finite key space with Get: a key outside it is never written, so the
// key space is the whole of the DB (and Get is the read path under test).
#ifndef ZIGGYDB_TESTS_DB_MODEL_H_
#define ZIGGYDB_TESTS_DB_MODEL_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/random.h"
#include "ziggydb/db.h"
#include "ziggydb/env.h"
#include "ziggydb/iterator.h"
#include "ziggydb/write_batch.h"

namespace ziggydb::test {

// What the DB should hold: key -> value; absent keys are absent or deleted.
using Model = std::map<std::string, std::string>;

// Applies a batch's updates to the model, in order.
inline void ApplyToModel(const WriteBatch& batch, Model* model) {
  class Applier final : public WriteBatch::Handler {
   public:
    explicit Applier(Model* model) : model_(model) {}
    void Put(std::string_view key, std::string_view value) override {
      (*model_)[std::string(key)] = std::string(value);
    }
    void Delete(std::string_view key) override { model_->erase(std::string(key)); }

   private:
    Model* const model_;
  };
  Applier applier(model);
  Status s = batch.Iterate(&applier);
  ASSERT_TRUE(s.ok()) << s.ToString();
}

// Reads every key of `keys` from db into *out (present keys only). Returns the first status
// other than OK/NotFound.
[[nodiscard]] inline Status ReadKeySpace(DB* db, const std::vector<std::string>& keys, Model* out,
                                         const ReadOptions& options = ReadOptions()) {
  out->clear();
  std::string value;
  for (const std::string& key : keys) {
    Status s = db->Get(options, key, &value);
    if (s.ok()) {
      (*out)[key] = value;
    } else if (!s.IsNotFound()) {
      return s;
    }
  }
  return Status::OK();
}

// Compares a DB iterator (as of options.snapshot, or now) with `model` (the expected contents):
// a full forward and backward scan, then random Seek / SeekForPrev targets each followed by a few
// Next or Prev steps, then a forward scan within random bounds. Failures are reported through
// gtest.
inline void CheckIteratorAgainstModel(DB* db, ReadOptions options, const Model& model,
                                      const std::vector<std::string>& keys, Random* rng) {
  {
    std::unique_ptr<Iterator> it = db->NewIterator(options);
    it->SeekToFirst();
    auto expected = model.begin();
    for (; it->Valid(); it->Next(), ++expected) {
      if (expected == model.end()) {
        ADD_FAILURE() << "forward scan: extra key '" << it->key() << "'";
        return;
      }
      if (it->key() != expected->first || it->value() != expected->second) {
        ADD_FAILURE() << "forward scan: at '" << it->key() << "', expected '" << expected->first
                      << "' (values " << (it->value() == expected->second ? "equal" : "differ")
                      << ")";
        return;
      }
    }
    EXPECT_TRUE(it->status().ok()) << it->status().ToString();
    EXPECT_TRUE(expected == model.end())
        << "forward scan ended early, before '" << expected->first << "'";
    auto back = model.rbegin();
    for (it->SeekToLast(); it->Valid(); it->Prev(), ++back) {
      if (back == model.rend() || it->key() != back->first || it->value() != back->second) {
        ADD_FAILURE() << "backward scan differs at '" << it->key() << "'";
        return;
      }
    }
    EXPECT_TRUE(it->status().ok()) << it->status().ToString();
    EXPECT_TRUE(back == model.rend()) << "backward scan ended early";
  }
  // Targets: model keys, absent keys of the key space, and random bytes.
  std::unique_ptr<Iterator> it = db->NewIterator(options);
  for (int round = 0; round < 8; ++round) {
    const std::string target =
        rng->OneIn(4) ? rng->Bytes(rng->Uniform(8)) : keys[rng->Uniform(keys.size())];
    const bool forward = rng->OneIn(2);
    auto pos = model.lower_bound(target);  // Seek: first key >= target
    if (forward) {
      it->Seek(target);
    } else {
      it->SeekForPrev(target);  // last key <= target
      pos = model.upper_bound(target);
      pos = pos == model.begin() ? model.end() : std::prev(pos);
    }
    for (int step = 0; step < 6; ++step) {
      const bool want_valid = pos != model.end();
      if (it->Valid() != want_valid ||
          (want_valid && (it->key() != pos->first || it->value() != pos->second))) {
        ADD_FAILURE() << (forward ? "Seek" : "SeekForPrev") << " to '" << target << "' then "
                      << step << " step(s): iterator "
                      << (it->Valid() ? "at '" + std::string(it->key()) + "'" : "invalid")
                      << ", model " << (want_valid ? "at '" + pos->first + "'" : "at the end")
                      << "; status " << it->status().ToString();
        return;
      }
      if (!want_valid) break;
      if (rng->OneIn(2)) {
        it->Next();
        ++pos;
      } else {
        it->Prev();
        pos = pos == model.begin() ? model.end() : std::prev(pos);
      }
    }
  }
  // Bounds: [lower, upper) over two keys of the key space.
  std::string lower = keys[rng->Uniform(keys.size())];
  std::string upper = keys[rng->Uniform(keys.size())];
  if (upper < lower) std::swap(lower, upper);
  options.iterate_lower_bound = lower;
  options.iterate_upper_bound = upper;
  std::unique_ptr<Iterator> bounded = db->NewIterator(options);
  auto expected = model.lower_bound(lower);
  for (bounded->SeekToFirst(); bounded->Valid(); bounded->Next(), ++expected) {
    if (expected == model.end() || expected->first >= upper || bounded->key() != expected->first ||
        bounded->value() != expected->second) {
      ADD_FAILURE() << "bounded scan [" << lower << ", " << upper << ") differs at '"
                    << bounded->key() << "'";
      return;
    }
  }
  EXPECT_TRUE(bounded->status().ok()) << bounded->status().ToString();
  EXPECT_TRUE(expected == model.end() || expected->first >= upper)
      << "bounded scan ended early, before '" << expected->first << "'";
  return;
}

// Live tables over all levels, from the "ziggydb.num-files-at-level<N>" properties.
inline uint64_t TableCount(DB* db) {
  uint64_t tables = 0;
  std::string count;
  for (int level = 0; db->GetProperty("ziggydb.num-files-at-level" + std::to_string(level), &count);
       ++level) {
    tables += std::stoull(count);
  }
  return tables;
}

// One acknowledged (or failed) write and the durability it was promised.
struct LoggedWrite {
  WriteBatch batch;
  bool sync = false;
};

// The longest p such that applying writes[0..p) to `base` gives `actual`; nullopt if no prefix
// does. Writes are applied one at a time and the whole model compared after each.
inline std::optional<size_t> LongestMatchingPrefix(const Model& base,
                                                   const std::vector<LoggedWrite>& writes,
                                                   const Model& actual) {
  std::optional<size_t> longest;
  Model state = base;
  if (state == actual) longest = 0;
  for (size_t i = 0; i < writes.size(); ++i) {
    ApplyToModel(writes[i].batch, &state);
    if (state == actual) longest = i + 1;
  }
  return longest;
}

// A short description of how two models differ, for failure messages.
inline std::string DescribeDifference(const Model& expected, const Model& actual) {
  std::string out;
  int shown = 0;
  auto show = [&](const std::string& key, const char* what) {
    if (shown++ < 5) out += " key '" + key.substr(0, 40) + "' " + what + ";";
  };
  for (const auto& [key, value] : expected) {
    auto it = actual.find(key);
    if (it == actual.end()) {
      show(key, "missing");
    } else if (it->second != value) {
      show(key, "has a different value");
    }
  }
  for (const auto& [key, value] : actual) {
    if (!expected.contains(key)) show(key, "present but should not be");
  }
  return std::to_string(shown) + " difference(s):" + out;
}

// `count` distinct keys: mostly readable ("key00042"), some binary with NUL and 0xff bytes, one
// empty key, lengths 0..~60. The same seed gives the same keys.
inline std::vector<std::string> MakeKeySpace(Random* rng, size_t count) {
  std::vector<std::string> keys;
  std::map<std::string, bool> seen;
  keys.push_back("");
  seen[""] = true;
  while (keys.size() < count) {
    std::string key;
    switch (rng->Uniform(4)) {
      case 0:
        key = rng->Bytes(1 + rng->Uniform(24));  // binary, NULs included
        break;
      case 1:
        key = "key" + std::to_string(rng->Uniform(100000)) + std::string(rng->Uniform(40), 'p');
        break;
      default: {
        char buf[16];
        std::snprintf(buf, sizeof(buf), "key%05u", static_cast<unsigned>(rng->Uniform(100000)));
        key = buf;
        break;
      }
    }
    if (seen.emplace(key, true).second) keys.push_back(key);
  }
  return keys;
}

// A value of skewed size (mostly small, now and then up to max_bytes), either random bytes or a
// compressible pattern.
inline std::string MakeValue(Random* rng, size_t max_bytes) {
  size_t bytes = rng->OneIn(20) ? rng->Uniform(max_bytes + 1) : rng->Skewed(9);
  if (bytes > max_bytes) bytes = max_bytes;
  if (rng->OneIn(2)) return rng->Bytes(bytes);
  std::string value(bytes, static_cast<char>('a' + rng->Uniform(26)));
  for (size_t i = 0; i < bytes; i += 1 + rng->Uniform(64))
    value[i] = static_cast<char>(rng->Next32());
  return value;
}

}  // namespace ziggydb::test

#endif  // ZIGGYDB_TESTS_DB_MODEL_H_
