// DB-level fuzz target: the input decodes to a sequence of operations on a DB in
// FaultInjectionEnv, checked against a std::map model.
//
// The DB runs its background work as steps on this thread (OpenWithSteppedBackground), so an
// input is one exact interleaving of operations, flushes, compactions and file deletions: its
// coverage is the same on every run, and a crash input reproduces exactly.
//
// Input: one option byte (bloom filter, block size, sync writes, a row cache), then operations,
// each an opcode byte and its arguments (a missing argument byte reads as 0):
//   put key len | delete key | batch n (key len|key)... | get key | scan dir | seek key |
//   flush | compact | reopen | power-loss (each the opcode byte modulo 10, in that order)
// The rest of the opcode byte, op / 10 (0-25), schedules background work: when it is odd, one
// runnable step runs after the operation, the ((op / 10) / 2)-th of the runnable ones (modulo
// their count). A call that must wait for background work (a stalled write, Flush, CompactRange,
// Close) runs the steps it needs, the first runnable one each time.
// Keys are one of 24 (the empty key, binary ones with NUL and 0xff bytes, ordinary ones);
// values are unique per write, 0 to ~2 KiB. At most kMaxOps operations run per input, and at
// most kMaxReopens of them reopen (a later reopen or power loss checks the whole DB against the
// model instead): a reopen costs as much as ~50 other operations (WAL replay, table opens).
//
// Checked (a violation aborts, which the fuzzer reports):
//   - every call succeeds (the file system never fails here);
//   - Get returns the model's value or NotFound exactly when the model has none;
//   - a scan in either direction, and a Seek, return exactly the model's keys and values;
//   - after a reopen the DB equals the model; after a power loss (DropUnsyncedData) it equals
//     the model as of the last durable point plus a prefix of the writes since, every batch whole,
//     and the model becomes what was recovered.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/background_steps.h"
#include "env/fault_env.h"
#include "ziggydb/db.h"
#include "ziggydb/iterator.h"
#include "ziggydb/options.h"
#include "ziggydb/write_batch.h"

namespace ziggydb {
namespace {

using Model = std::map<std::string, std::string>;

constexpr const char* kDb = "/db";
constexpr size_t kMaxOps = 100;
constexpr size_t kMaxReopens = 4;
constexpr size_t kKeyCount = 24;

void Fail(const std::string& what) {
  std::fprintf(stderr, "db_fuzz: %s\n", what.c_str());
  std::abort();
}

void Check(const Status& s, const char* what) {
  if (!s.ok()) Fail(std::string(what) + ": " + s.ToString());
}

std::string KeyOf(uint8_t byte) {
  const size_t i = byte % kKeyCount;
  switch (i) {
    case 0:
      return "";
    case 1:
      return std::string("\0", 1);
    case 2:
      return std::string("a\0b", 3);
    case 3:
      return "\xff";
    case 4:
      return "\xff\xff";
    case 5:
      return "\xff\x00\x01";
    default: {
      std::string key("key");
      key += std::to_string(i * 7);
      return key;
    }
  }
}

class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return pos_ >= size_; }
  uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// One acknowledged write: the updates of a Put, Delete or batch.
struct Write {
  std::vector<std::pair<std::string, std::optional<std::string>>> updates;
};

void Apply(const Write& write, Model* model) {
  for (const auto& [key, value] : write.updates) {
    if (value.has_value()) {
      (*model)[key] = *value;
    } else {
      model->erase(key);
    }
  }
}

Model ReadAll(DB* db) {
  Model out;
  std::unique_ptr<Iterator> it = db->NewIterator(ReadOptions());
  for (it->SeekToFirst(); it->Valid(); it->Next())
    out[std::string(it->key())] = std::string(it->value());
  Check(it->status(), "scan");
  return out;
}

class Fuzzer {
 public:
  explicit Fuzzer(uint8_t option_byte) {
    options_.env = &env_;
    options_.create_if_missing = true;
    options_.memtable_bytes = size_t{64} << 10;
    options_.bloom_bits_per_key = (option_byte & 1) != 0 ? 10 : 0;
    options_.block_size = (option_byte & 2) != 0 ? 1024 : 4096;
    options_.l0_compaction_trigger = 2;
    sync_ = (option_byte & 4) != 0;
    // The smallest row cache: its slots are reused often.
    options_.row_cache_bytes = (option_byte & 8) != 0 ? kRowCacheBytesRange.min : 0;
    Check(OpenWithSteppedBackground(options_, kDb, &policy_, &db_), "open");
  }
  ~Fuzzer() {
    if (db_ != nullptr) Check(db_->Close(), "close");
  }

  void Run(Input* in) {
    for (size_t op = 0; op < kMaxOps && !in->empty(); ++op) {
      const uint8_t op_byte = in->Byte();
      switch (op_byte % 10) {
        case 0: {
          Write w;
          const std::string key = KeyOf(in->Byte());
          w.updates.emplace_back(key, NextValue(in->Byte()));
          Commit(w);
          break;
        }
        case 1: {
          Write w;
          w.updates.emplace_back(KeyOf(in->Byte()), std::nullopt);
          Commit(w);
          break;
        }
        case 2: {
          Write w;
          const int n = 1 + in->Byte() % 8;
          for (int i = 0; i < n; ++i) {
            const uint8_t k = in->Byte();
            if ((k & 0x80) != 0) {
              w.updates.emplace_back(KeyOf(k), std::nullopt);
            } else {
              w.updates.emplace_back(KeyOf(k), NextValue(in->Byte()));
            }
          }
          Commit(w);
          break;
        }
        case 3:
          CheckGet(KeyOf(in->Byte()));
          break;
        case 4:
          CheckScan((in->Byte() & 1) != 0);
          break;
        case 5:
          CheckSeek(KeyOf(in->Byte()));
          break;
        case 6:
          Check(db_->Flush(), "flush");
          MarkDurable();
          break;
        case 7:
          // Its first step is a Flush: every write before it is durable once it returns OK.
          Check(db_->CompactRange(std::nullopt, std::nullopt), "compact");
          MarkDurable();
          break;
        case 8:
        case 9:
          if (reopens_ == kMaxReopens) {
            if (ReadAll(db_.get()) != model_) Fail("full scan differs from the model");
            break;
          }
          ++reopens_;
          Reopen(/*power_loss=*/(op_byte % 10) == 9);
          break;
      }
      const int schedule = op_byte / 10;
      if ((schedule & 1) != 0) {
        const std::vector<BackgroundStep> runnable = RunnableBackgroundSteps(db_.get());
        if (!runnable.empty())
          RunBackgroundStep(db_.get(),
                            runnable[static_cast<size_t>(schedule / 2) % runnable.size()]);
      }
    }
    if (ReadAll(db_.get()) != model_) Fail("final state differs from the model");
  }

 private:
  std::string NextValue(uint8_t len) {
    ++writes_;
    std::string value("v");
    value += std::to_string(writes_);
    value += ':';
    value.append(static_cast<size_t>(len) * 8, static_cast<char>('a' + writes_ % 26));
    return value;
  }

  void Commit(const Write& w) {
    WriteBatch batch;
    for (const auto& [key, value] : w.updates) {
      if (value.has_value()) {
        batch.Put(key, *value);
      } else {
        batch.Delete(key);
      }
    }
    WriteOptions options;
    options.sync = sync_;
    Check(db_->Write(options, batch), "write");
    Apply(w, &model_);
    if (sync_) {
      MarkDurable();
    } else {
      pending_.push_back(w);
    }
  }

  void MarkDurable() {
    durable_ = model_;
    pending_.clear();
  }

  void CheckGet(const std::string& key) {
    std::string value;
    Status s = db_->Get(ReadOptions(), key, &value);
    auto it = model_.find(key);
    if (it == model_.end()) {
      if (!s.IsNotFound()) Fail("Get of an absent key: " + s.ToString());
    } else {
      Check(s, "get");
      if (value != it->second) Fail("Get returned a wrong value");
    }
  }

  void CheckScan(bool backward) {
    std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
    std::vector<std::pair<std::string, std::string>> seen;
    if (backward) {
      for (it->SeekToLast(); it->Valid(); it->Prev())
        seen.emplace_back(std::string(it->key()), std::string(it->value()));
    } else {
      for (it->SeekToFirst(); it->Valid(); it->Next())
        seen.emplace_back(std::string(it->key()), std::string(it->value()));
    }
    Check(it->status(), "scan");
    std::vector<std::pair<std::string, std::string>> expected(model_.begin(), model_.end());
    if (backward) expected.assign(model_.rbegin(), model_.rend());
    if (seen != expected) Fail(backward ? "backward scan differs" : "forward scan differs");
  }

  void CheckSeek(const std::string& target) {
    std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
    it->Seek(target);
    auto expected = model_.lower_bound(target);
    for (int step = 0; step < 3; ++step) {
      if (expected == model_.end()) {
        if (it->Valid()) Fail("Seek found a key past the model's end");
        break;
      }
      if (!it->Valid() || it->key() != expected->first || it->value() != expected->second)
        Fail("Seek/Next differs from the model");
      it->Next();
      ++expected;
    }
    Check(it->status(), "seek");
  }

  // Reopens the DB; with power_loss, drops what was never made durable first.
  void Reopen(bool power_loss) {
    Check(db_->Close(), "close");
    db_.reset();
    if (power_loss) env_.DropUnsyncedData();
    Check(OpenWithSteppedBackground(options_, kDb, &policy_, &db_), "reopen");
    const Model actual = ReadAll(db_.get());
    if (!power_loss) {
      if (actual != model_) Fail("reopen lost or changed data");
      return;
    }
    Model candidate = durable_;
    bool matched = candidate == actual;
    for (size_t i = 0; i < pending_.size() && !matched; ++i) {
      Apply(pending_[i], &candidate);
      matched = candidate == actual;
    }
    if (!matched) Fail("power loss: not a prefix of the writes covering every durable one");
    model_ = actual;
    MarkDurable();
  }

  FaultInjectionEnv env_;
  FirstRunnableStepPolicy policy_;
  Options options_;
  std::unique_ptr<DB> db_;
  bool sync_ = false;
  uint64_t writes_ = 0;
  size_t reopens_ = 0;
  Model model_;
  Model durable_;               // the model as of the last durable point
  std::vector<Write> pending_;  // acknowledged writes since then, in order
};

}  // namespace
}  // namespace ziggydb

// Adds -entropic=0 to libFuzzer's flags unless one is given. An input sets tens of thousands of
// features; with the entropic schedule, updating their frequencies took most of the time (24
// inputs/s against 192 without it, ASan fuzz build, 30 s from the seed corpus). The replay driver
// ignores the flag.
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  static std::vector<char*> args;
  static char entropic_off[] = "-entropic=0";
  args.assign(*argv, *argv + *argc);
  for (char* arg : args)
    if (std::string_view(arg).starts_with("-entropic=")) return 0;
  // The flag goes before the corpus paths (libFuzzer reads flags anywhere, paths in order).
  args.insert(args.begin() + 1, entropic_off);
  args.push_back(nullptr);
  *argc += 1;
  *argv = args.data();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ziggydb::Input in(data, size);
  ziggydb::Fuzzer fuzzer(in.Byte());
  fuzzer.Run(&in);
  return 0;
}
