// RepairDB (repair.h). Order, so that a crash anywhere leaves either the directory as it was (plus
// complete tables no MANIFEST names, which the next repair merges again and the next Open
// deletes, and the staging directory, which the next repair removes) or the repaired DB: remove
// a staging directory a killed repair left; read every MANIFEST's intact edits (read-only);
// verify every table (read-only); set aside the tables and logs those edits say are superseded;
// replay the other logs as Open would into temporary tables; merge them and the tables into new
// tables, each synced; all of these are written in the staging directory <db>/repair-tmp, so
// that a half-written one is never taken for a damaged table of the DB; rename the new tables
// into the DB directory and sync it; move unreadable tables to lost/ and the logs after the
// WAL's end to repair-old-<N>; write a new IDENTITY (temp file + rename); create an empty log
// and a new MANIFEST-<N> naming the new tables, synced; point CURRENT at it (temp file +
// rename); only then move the originals aside. A failure before the rename moves back what was
// moved (lost/, the logs after the WAL's end) and puts the old IDENTITY back before the LOCK is
// released.
// docs/design/recovery.md, "Repair".
#include "db/repair.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/dbformat.h"
#include "db/checkpoint.h"
#include "db/db_identity.h"
#include "db/filename.h"
#include "db/internal_filter_policy.h"
#include "db/recovery.h"
#include "db/table_cache.h"
#include "db/table_output.h"
#include "db/version_edit.h"
#include "db/write_batch_internal.h"
#include "env/file_lock_guard.h"
#include "memtable/memtable.h"
#include "table/bloom.h"
#include "table/table_options.h"
#include "table/table_reader.h"
#include "util/coding.h"
#include "util/status_context.h"
#include "util/status_macros.h"
#include "wal/log_reader.h"
#include "wal/log_writer.h"
#include "ziggydb/db.h"

namespace ziggydb {
namespace {

// The rebuilt tables form one sorted run at the last level: below everything written later.
constexpr int kRepairedLevel = kNumLevels - 1;

// Where a repair writes its tables before they are complete and synced (one level, no subdirs).
constexpr const char* kStagingDir = "repair-tmp";

// File descriptors kept back from Options::max_open_files for what a repair has open besides the
// tables it merges: LOCK, the output being written and its read-back, a log or MANIFEST being
// read, the info LOG, directory syncs.
constexpr int kReservedFileDescriptors = 10;

// File numbers a repair keeps free below kMaxFileNumber for the files it creates (its tables, a
// log, a MANIFEST) and for the repaired DB's own.
constexpr uint64_t kFileNumbersKeptBack = uint64_t{1} << 32;

// A table the merge reads: an original in the DB directory, or one this repair wrote in the
// staging directory (a replayed log's, or an intermediate merge's, removed once merged).
struct TableFile {
  std::string path;
  FileNumber number{};
  uint64_t file_bytes = 0;
  bool staging = false;
};

// Tables whose internal-key ranges follow one another in order, read one table at a time.
using TableRun = std::vector<TableFile>;

// Reads a run as one sorted stream with at most one of its tables open.
class RunReader {
 public:
  RunReader(Env* env, const TableOptions* options, const TableRun* run)
      : env_(env), options_(options), run_(run) {}

  [[nodiscard]] Status SeekToFirst() {
    index_ = 0;
    return OpenFrom();
  }
  bool Valid() const { return iter_ != nullptr && iter_->Valid(); }
  std::string_view key() const { return iter_->key(); }
  std::string_view value() const { return iter_->value(); }
  [[nodiscard]] Status Next() {
    iter_->Next();
    if (iter_->Valid()) return Status::OK();
    ZIGGY_RETURN_IF_ERROR(iter_->status());
    ++index_;
    return OpenFrom();
  }

 private:
  // Closes the open table, then opens run[index_] and the tables after it until one holds an
  // entry; past the last one, Valid() is false.
  Status OpenFrom() {
    iter_.reset();  // before the reader it reads
    reader_.reset();
    for (; index_ < run_->size(); ++index_) {
      const TableFile& table = (*run_)[index_];
      std::unique_ptr<RandomAccessFile> file;
      ZIGGY_RETURN_IF_ERROR(env_->NewRandomAccessFile(table.path, &file));
      ZIGGY_RETURN_IF_ERROR(
          TableReader::Open(*options_, std::move(file), table.file_bytes, &reader_));
      iter_ = reader_->NewIterator(ReadOptions());
      iter_->SeekToFirst();
      if (iter_->Valid()) return Status::OK();
      ZIGGY_RETURN_IF_ERROR(iter_->status());
      iter_.reset();
      reader_.reset();
    }
    return Status::OK();
  }

  Env* const env_;
  const TableOptions* const options_;
  const TableRun* const run_;
  size_t index_ = 0;
  std::unique_ptr<TableReader> reader_;
  std::unique_ptr<Iterator> iter_;  // over reader_
};

class DamageReporter final : public wal::Reader::Reporter {
 public:
  DamageReporter(std::string path, std::vector<std::string>* out)
      : path_(std::move(path)), out_(out) {}
  void Corruption(uint64_t offset, uint64_t bytes, std::string_view reason, bool at_tail) override {
    out_->push_back(path_ + ": " + std::to_string(bytes) + " bytes at offset " +
                    std::to_string(offset) + (at_tail ? " (torn tail): " : ": ") +
                    std::string(reason));
  }

 private:
  const std::string path_;
  std::vector<std::string>* const out_;
};

class Repairer {
 public:
  Repairer(std::string dbname, const Options& options, RepairReport* report,
           const RepairProgress& progress)
      : dbname_(std::move(dbname)),
        options_(options),
        env_(options.env != nullptr ? options.env : Env::Default()),
        icmp_(BytewiseComparator()),
        report_(report),
        progress_(progress),
        staging_(dbname_ + "/" + kStagingDir) {
    if (options_.bloom_bits_per_key > 0) {
      user_filter_policy_ = NewBloomFilterPolicy(options_.bloom_bits_per_key);
      filter_policy_ = std::make_unique<InternalFilterPolicy>(user_filter_policy_.get());
    }
    table_options_.comparator = &icmp_;
    table_options_.filter_policy = filter_policy_.get();
    table_options_.block_size = options_.block_size;
    table_options_.block_restart_interval = options_.block_restart_interval;
    table_options_.keys_end_in_fixed64 = true;
    table_options_.compression = options_.compression;
    table_options_.clock = env_;
    table_cache_ = std::make_unique<TableCache>(staging_, env_, &table_options_, 16, false);
  }

  // Run cleans up before it unlocks; this, after an exception (std::bad_alloc) ended it.
  ~Repairer() { RemoveUncommitted(); }

  Status Run() {
    std::unique_ptr<FileLock> lock;
    ZIGGY_RETURN_IF_ERROR(env_->LockFile(LockFileName(dbname_), &lock));
    // Released on every way out (an exception included), after the clean-up below when Run
    // returns: no other repair or opener sees this one's leftovers.
    FileLockGuard lock_guard(env_, &lock);
    Status s = RemoveStaging();
    if (s.ok()) s = Scan();
    if (s.ok()) s = ReadManifests();
    if (s.ok()) s = ReadLogSequences();
    if (s.ok()) s = ReadWalArchive();
    if (s.ok()) s = CheckTables();
    if (s.ok()) s = ReplayLogs();
    if (s.ok()) s = Merge();
    if (s.ok()) s = MoveToLost();
    if (s.ok()) s = ReplaceIdentity();
    if (s.ok()) s = Commit();
    if (s.ok()) MoveOriginalsAside();
    if (!s.ok() && !committed_) {
      RestoreIdentity();
      // Before the unlock, so that no other repair sees the moved files; a file that cannot be
      // moved back is named in the returned status.
      if (Status back = MoveBack(); !back.ok())
        s = WithMessage(s, std::string(s.message()) + " (and " + std::string(back.message()) + ")");
    }
    RemoveUncommitted();
    Status unlocked = lock_guard.Unlock();
    return s.ok() ? unlocked : s;
  }

 private:
  // An edit of a MANIFEST that adds or removes tables or records a log number (ReadManifests).
  struct ManifestEdit {
    std::string manifest;  // its file name
    std::vector<FileNumber> removed;
    std::vector<FileNumber> added;
    std::optional<FileNumber> log_number;
    bool whole = false;  // as FindSuperseded judges it
  };

  // Tables read at once by one merge: at least 2.
  size_t FanIn() const {
    return static_cast<size_t>(std::max(2, options_.max_open_files - kReservedFileDescriptors));
  }

  TableOutputContext OutputContext() const {
    TableOutputContext context;
    context.env = env_;
    context.dbname = staging_;
    context.table_options = &table_options_;
    context.table_cache = table_cache_.get();
    context.verify = true;
    return context;
  }

  FileNumber NewFileNumber() { return FileNumber{next_number_++}; }

  // Raises next_number_ to `next`, which `what` (a file, or the MANIFEST that recorded it) asks
  // for. ParseFileName takes names up to kMaxFileNumber, so a stray file can ask for more numbers
  // than are left: the repaired DB's files would be numbered past kMaxFileNumber, and Open would
  // refuse its MANIFEST. That fails the repair, before anything changes, naming the file.
  Status NumberPast(uint64_t next, const std::string& what) {
    if (next > kMaxFileNumber - kFileNumbersKeptBack) {
      return Status::InvalidArgument(
          "file number too large for the repaired DB to number its files past it (move the file "
          "out of the directory)",
          what);
    }
    next_number_ = std::max(next_number_, next);
    return Status::OK();
  }

  // The staging directory a killed repair left (its files are partial or merged again from the
  // originals), removed before anything else happens; then created afresh for this repair.
  Status RemoveStaging() {
    std::vector<std::string> names;
    Status s = env_->GetChildren(staging_, &names);
    if (s.ok()) {
      for (const std::string& name : names) {
        if (name == "." || name == "..") continue;
        ZIGGY_RETURN_IF_ERROR(env_->RemoveFile(staging_ + "/" + name));
      }
      ZIGGY_RETURN_IF_ERROR(env_->RemoveDir(staging_));
      ZIGGY_RETURN_IF_ERROR(env_->SyncDir(dbname_));
    } else if (!s.IsNotFound()) {
      return s;
    }
    ZIGGY_RETURN_IF_ERROR(env_->CreateDir(staging_));
    staging_created_ = true;
    return Status::OK();
  }

  [[nodiscard]] Status Advance(uint64_t bytes) {
    done_bytes_ += bytes;
    if (progress_ && !progress_(done_bytes_, total_bytes_)) {
      return Status::IOError("repair interrupted; nothing was changed");
    }
    return Status::OK();
  }

  Status Scan() {
    std::vector<std::string> names;
    ZIGGY_RETURN_IF_ERROR(env_->GetChildren(dbname_, &names));
    for (const std::string& name : names) {
      FileNumber number{};
      FileType type{};
      if (!ParseFileName(name, &number, &type)) continue;
      ZIGGY_RETURN_IF_ERROR(NumberPast(raw(number) + 1, dbname_ + "/" + name));
      uint64_t bytes = 0;
      if (type == FileType::kTableFile || type == FileType::kLogFile) {
        ZIGGY_RETURN_IF_ERROR(env_->GetFileSize(dbname_ + "/" + name, &bytes));
      }
      if (type == FileType::kTableFile) {
        table_numbers_.push_back(number);
        total_bytes_ += 2 * bytes;  // verified, then merged
      } else if (type == FileType::kLogFile) {
        log_numbers_.push_back(number);
        total_bytes_ += 3 * bytes;  // batch headers read, replayed, then merged
      } else if (type == FileType::kManifestFile) {
        manifest_numbers_.push_back(number);
      }
    }
    std::sort(table_numbers_.begin(), table_numbers_.end());
    std::sort(manifest_numbers_.begin(), manifest_numbers_.end());
    std::sort(log_numbers_.begin(), log_numbers_.end());
    return Status::OK();
  }

  // Every intact edit of every MANIFEST, oldest MANIFEST first, as far as the repair uses them
  // (FindSuperseded). Damage is skipped over: each edit is one checksummed record, applied
  // whole or not at all, so an edit read after damage is as true as one before it. A MANIFEST
  // that cannot be read (an I/O error) fails the repair, and so does an intact edit of a newer
  // format (NotSupported), before anything changes.
  Status ReadManifests() {
    for (FileNumber number : manifest_numbers_) {
      const std::string name = ManifestFileName(dbname_, number).substr(dbname_.size() + 1);
      std::unique_ptr<SequentialFile> file;
      ZIGGY_RETURN_IF_ERROR(env_->NewSequentialFile(dbname_ + "/" + name, &file));
      DamageReporter reporter(name, &report_->manifests);
      wal::Reader reader(std::move(file), raw(number), &reporter);
      std::string record;
      uint64_t edits = 0;
      while (reader.ReadRecord(&record)) {
        // An intact record (its checksum matched) that does not decode, or that names a newer
        // format, was written by a newer build: what it says cannot be read here, and skipping
        // it could merge what it retired. Open refuses such a MANIFEST too.
        const std::string where =
            dbname_ + "/" + name + " at offset " + std::to_string(reader.last_record_offset());
        VersionEdit edit;
        if (Status s = edit.DecodeFrom(record); !s.ok()) {
          return Status::NotSupported(
              "an intact MANIFEST edit does not decode (written by a "
              "newer build?): " +
                  std::string(s.message()),
              where);
        }
        if (edit.format_version() && *edit.format_version() > kManifestFormatVersion) {
          return Status::NotSupported("MANIFEST format version " +
                                          std::to_string(*edit.format_version()) +
                                          " is newer than this build supports (" +
                                          std::to_string(kManifestFormatVersion) + ")",
                                      where);
        }
        ++edits;
        // What the DB had numbered and written by then: the repaired DB numbers and sequences on
        // from there (a fully compacted DB's tables hold only sequence 0).
        if (edit.last_sequence()) {
          max_sequence_ = std::max(max_sequence_, raw(*edit.last_sequence()));
        }
        if (edit.next_file_number()) {
          ZIGGY_RETURN_IF_ERROR(NumberPast(raw(*edit.next_file_number()), dbname_ + "/" + name));
        }
        for (const auto& [level, added] : edit.added_files())
          max_sequence_ = std::max(max_sequence_, raw(added.largest_sequence));
        ManifestEdit read{name, {}, {}, edit.log_number()};
        for (const auto& [level, removed] : edit.removed_files())
          read.removed.push_back(removed);
        for (const auto& [level, added] : edit.added_files())
          read.added.push_back(added.number);
        if (!read.removed.empty() || !read.added.empty() || read.log_number) {
          edits_.push_back(std::move(read));
        }
      }
      ZIGGY_RETURN_IF_ERROR(reader.io_status());
      Note(&report_->manifests, name + ": " + std::to_string(edits) + " edits");
    }
    return Status::OK();
  }

  // The sequences of every batch of every log (replayed or not, obsolete ones too): the repaired
  // DB's last sequence is at least the last of them, so that no new write reuses a sequence that
  // a set-aside log, the WAL archive or a backup holds. Only the batch headers are decoded; damage
  // is skipped (the replay reports it). An I/O error fails the repair before anything changes.
  Status ReadLogSequences() {
    for (FileNumber number : log_numbers_) {
      const std::string path = LogFileName(dbname_, number);
      ZIGGY_RETURN_IF_ERROR(ReadLastSequence(path, number));
      ZIGGY_RETURN_IF_ERROR(Advance(FileBytes(path)));
    }
    return Status::OK();
  }

  // Raises max_sequence_ to the last sequence of each intact batch of log `path`.
  Status ReadLastSequence(const std::string& path, FileNumber number) {
    std::unique_ptr<SequentialFile> file;
    ZIGGY_RETURN_IF_ERROR(env_->NewSequentialFile(path, &file));
    wal::Reader reader(std::move(file), raw(number), nullptr);
    std::string record;
    while (reader.ReadRecord(&record)) {
      if (record.size() < kWriteBatchHeaderBytes) continue;
      const uint64_t first = DecodeFixed64(record.data());
      const uint32_t count = DecodeFixed32(record.data() + 8);
      if (first == 0 || count == 0 || first > kMaxSequenceNumber ||
          count - 1 > kMaxSequenceNumber - first) {
        continue;  // not a batch Open would apply
      }
      max_sequence_ = std::max(max_sequence_, first + count - 1);
    }
    return reader.io_status();
  }

  // With Options::wal_archive_dir set, the archive holds the DB's flushed logs under their
  // numbers, and point-in-time restore replays them by sequence: the repaired DB numbers its
  // files past the highest archived log (whose number a new log would otherwise take again) and
  // sequences past its last batch (the archive's newest writes; it may be ahead of what the
  // directory shows if a MANIFEST is lost). No archive there yet: nothing to pass.
  Status ReadWalArchive() {
    const std::string& dir = options_.wal_archive_dir;
    if (dir.empty()) return Status::OK();
    std::vector<std::string> names;
    if (Status s = env_->GetChildren(dir, &names); !s.ok()) {
      return s.IsNotFound() ? Status::OK() : s;
    }
    std::optional<FileNumber> highest;
    for (const std::string& name : names) {
      FileNumber number{};
      FileType type{};
      if (!ParseFileName(name, &number, &type) || type != FileType::kLogFile) continue;
      if (!highest || raw(number) > raw(*highest)) highest = number;
    }
    if (!highest) return Status::OK();
    ZIGGY_RETURN_IF_ERROR(NumberPast(raw(*highest) + 1, LogFileName(dir, *highest)));
    return ReadLastSequence(LogFileName(dir, *highest), *highest);
  }

  // Opens every table, verifies every block and closes it again (the merge opens tables a
  // bounded number at a time). A table that reads as damaged (Corruption: a checksum mismatch,
  // a bad format, a truncation) goes to lost/. Any other failure (an I/O error such as EACCES,
  // EMFILE or EIO; another comparator; a newer format) says nothing about the bytes and fails
  // the repair, before anything in the directory has changed. Then the tables a MANIFEST had
  // retired are set aside (FindRetiredTables) and the rest are the merge's inputs.
  Status CheckTables() {
    struct Checked {
      TableFile file;
      uint64_t entries = 0;
      std::string damage;  // empty: verified
    };
    std::vector<Checked> checked;
    std::set<FileNumber> verified;
    for (FileNumber number : table_numbers_) {
      Checked table{{TableFileName(dbname_, number), number}};
      Status s = env_->GetFileSize(table.file.path, &table.file.file_bytes);
      std::unique_ptr<RandomAccessFile> file;
      if (s.ok()) s = env_->NewRandomAccessFile(table.file.path, &file);
      std::unique_ptr<TableReader> reader;
      if (s.ok()) {
        s = TableReader::Open(table_options_, std::move(file), table.file.file_bytes, &reader);
      }
      // Its properties block is checksummed: whole once the table opens, damaged or not.
      if (s.ok()) max_sequence_ = std::max(max_sequence_, reader->properties().largest_sequence);
      if (s.ok()) s = reader->VerifyChecksums();
      if (!s.ok() && !s.IsCorruption()) return s;
      if (s.ok()) {
        table.entries = reader->properties().num_entries;
        verified.insert(number);
      } else {
        table.damage = s.ToString();
      }
      ZIGGY_RETURN_IF_ERROR(Advance(table.file.file_bytes));
      checked.push_back(std::move(table));
    }
    const std::map<FileNumber, std::string> retired = FindSuperseded(verified);
    for (Checked& table : checked) {
      const std::string name = table.file.path.substr(dbname_.size() + 1);
      if (auto it = retired.find(table.file.number); it != retired.end()) {
        originals_.push_back(name);
        Note(&report_->retired, name + ": retired by an edit of " + it->second);
        ZIGGY_RETURN_IF_ERROR(Advance(table.file.file_bytes));  // its share of the merge
      } else if (!table.damage.empty()) {
        lost_.push_back(name);
        std::string note;
        ZIGGY_RETURN_IF_ERROR(Salvage(table.file, &note));
        Note(&report_->lost, name + ": " + table.damage + note);
        ZIGGY_RETURN_IF_ERROR(Advance(table.file.file_bytes));
      } else {
        originals_.push_back(name);
        Note(&report_->tables_kept, name + ": " + std::to_string(table.entries) + " entries");
        inputs_.push_back(std::move(table.file));
      }
    }
    return Status::OK();
  }

  // What the MANIFEST edits say is superseded: returns the tables an edit retired (a
  // compaction's inputs that an iterator pinned, or that a crash left before their deletion),
  // each with the MANIFEST that says so, and marks each edit whole or not (ObsoleteBy: the logs
  // an edit's log number passes are in tables only if it is whole, as a flush's edit adds the
  // table and raises the log number together). Merged, a retired table or an obsolete log could
  // bring back an older value over a newer one whose sequence a compaction set to 0, or a key whose
  // tombstone it dropped. An edit counts only if it is whole here: every table it added is in the
  // directory and verified, or was retired in turn by a whole edit. If not, the edit may never have
  // been installed (a MANIFEST whose CURRENT rename failed, its tables since deleted as unnamed) or
  // its tables are lost: either way what it superseded may hold the only copy of their data,
  // and is merged. A removed table counts as retired unless a later edit (or the same one: a
  // move to another level) added it again.
  std::map<FileNumber, std::string> FindSuperseded(const std::set<FileNumber>& verified) {
    std::map<FileNumber, std::string> retired;
    std::set<FileNumber> added_later;
    for (auto edit = edits_.rbegin(); edit != edits_.rend(); ++edit) {
      const bool whole = std::all_of(edit->added.begin(), edit->added.end(), [&](FileNumber t) {
        return verified.contains(t) || retired.contains(t);
      });
      edit->whole = whole;
      if (whole) {
        for (FileNumber removed : edit->removed) {
          if (!added_later.contains(removed) &&
              std::find(edit->added.begin(), edit->added.end(), removed) == edit->added.end()) {
            retired.emplace(removed, edit->manifest);
          }
        }
      }
      added_later.insert(edit->added.begin(), edit->added.end());
    }
    return retired;
  }

  // The edit that first raised the log number past log `number`: the one that made it obsolete
  // (null if none did).
  const ManifestEdit* ObsoleteBy(FileNumber number) const {
    for (const ManifestEdit& edit : edits_) {
      if (edit.log_number && raw(*edit.log_number) > raw(number)) return &edit;
    }
    return nullptr;
  }

  // Whether a log numbered in [from, to) is obsolete (ObsoleteBy whole): between two logs of the
  // directory, one such number is a log whose writes are in tables, so the later log does not
  // continue the earlier one's chain.
  bool ObsoleteIn(FileNumber from, FileNumber to) const {
    const auto obsolete = [this](FileNumber number) {
      const ManifestEdit* by = ObsoleteBy(number);
      return by != nullptr && by->whole;
    };
    if (raw(from) < raw(to) && obsolete(from)) return true;
    // ObsoleteBy changes only where an edit's log number is passed.
    for (const ManifestEdit& edit : edits_) {
      if (edit.log_number && raw(from) < raw(*edit.log_number) && raw(*edit.log_number) < raw(to) &&
          obsolete(*edit.log_number)) {
        return true;
      }
    }
    return false;
  }

  // The logs that are obsolete are set aside: their writes are in tables, and older versions of
  // keys a compaction has since rewritten with sequence 0 or deleted. A log is obsolete only if
  // the edit that first raised the log number past it is whole (FindSuperseded): a flush's edit
  // whose table is lost leaves the log the only copy of its writes, so it is replayed even if a
  // later edit is whole. The others are replayed as Open replays them (ReplayWal, per
  // options.wal_recovery_mode), in chains: the logs between two obsolete numbers (a log set
  // aside, or one gone whose writes are in tables), each checked against the head of the next (a
  // torn older log ends the chain in the default and point-in-time modes, docs/design/recovery.md
  // "Older logs"). The newest chain is replayed in place; an older one (only there when an edit
  // is not whole) from copies in the staging directory, since ReplayWal replays every log from
  // its first. Damage Open would refuse fails the repair; the logs a stop leaves unread are set
  // aside (not_replayed_) and reported.
  Status ReplayLogs() {
    std::vector<std::vector<FileNumber>> chains;
    std::optional<FileNumber> previous;
    for (FileNumber number : log_numbers_) {
      const std::string path = LogFileName(dbname_, number);
      if (const ManifestEdit* by = ObsoleteBy(number); by != nullptr && by->whole) {
        const std::string name = path.substr(dbname_.size() + 1);
        originals_.push_back(name);
        Note(&report_->logs_obsolete, name + ": older than log " +
                                          std::to_string(raw(*by->log_number)) + " of " +
                                          by->manifest + " (its writes are in tables)");
        ZIGGY_RETURN_IF_ERROR(Advance(FileBytes(path)));
      } else {
        if (chains.empty() || !previous || ObsoleteIn(*previous, number)) chains.emplace_back();
        chains.back().push_back(number);
      }
      previous = number;
    }
    for (const std::vector<FileNumber>& chain : chains) {
      ZIGGY_RETURN_IF_ERROR(ReplayChain(chain, chain.back() != log_numbers_.back()));
    }
    return Status::OK();
  }

  // Replays the logs of `chain` (ReplayLogs), in place or (copy) from copies in the staging
  // directory, removed after.
  Status ReplayChain(const std::vector<FileNumber>& chain, bool copy) {
    const std::string dir = copy ? staging_ : dbname_;
    std::vector<std::string> copies;
    Status s;
    if (copy) {
      for (FileNumber number : chain) {
        copies.push_back(LogFileName(staging_, number));
        s = CopyFileUnsynced(env_, LogFileName(dbname_, number), copies.back());
        if (!s.ok()) break;
      }
    }
    WalReplayInputs in;
    in.env = env_;
    in.dbname = dir;
    in.icmp = &icmp_;
    in.mode = options_.wal_recovery_mode;
    in.memtable_bytes = options_.memtable_bytes;
    in.log_number = chain.front();  // it exists, as ReplayWal requires
    in.write_table = [this](const MemTable& mem, FileMetaData* meta) {
      return WriteMemTable(mem, meta);
    };
    in.new_file_number = [this](FileNumber* number) {
      *number = NewFileNumber();
      return Status::OK();
    };
    in.mark_file_number_used = [this](FileNumber number) {
      next_number_ = std::max(next_number_, raw(number) + 1);
    };
    in.info_log = options_.info_log.get();
    WalReplayResult result;
    if (s.ok()) s = ReplayWal(in, &result);
    for (const std::string& path : copies)
      env_->RemoveFile(path).PermitUncheckedError();
    ZIGGY_RETURN_IF_ERROR(s);
    for (const std::string& where : result.dropped)
      Note(&report_->log_damage, "dropped a torn tail: " + where);
    for (const std::string& where : result.skipped)
      Note(&report_->log_damage, "skipped: " + where);
    if (!result.stopped_at.empty()) {
      Note(&report_->log_damage, "replay stopped (point-in-time): " + result.stopped_at);
    }
    for (size_t i = 0; i < result.logs.size(); ++i) {
      const std::string path = LogFileName(dbname_, result.logs[i]);
      const std::string name = path.substr(dbname_.size() + 1);
      if (i < result.records_per_log.size()) {
        originals_.push_back(name);
        Note(&report_->logs, name + ": " + std::to_string(result.records_per_log[i]) + " records");
      } else {
        not_replayed_.push_back(name);
        Note(&report_->logs_not_replayed, name + ": the WAL ends before it");
      }
      ZIGGY_RETURN_IF_ERROR(Advance(FileBytes(path)));
    }
    return Status::OK();
  }

  // The size of a file Scan found (0 if it cannot be read: only the progress estimate uses it).
  uint64_t FileBytes(const std::string& path) const {
    uint64_t bytes = 0;
    env_->GetFileSize(path, &bytes).PermitUncheckedError();
    return bytes;
  }

  // The entries of a damaged table's readable blocks, copied into a staging table that takes the
  // damaged table's place among the merge's inputs (its number too: of equal internal keys the
  // highest-numbered table's entry wins); the original goes to lost/ (MoveToLost). Whole-table
  // loss is never the safer choice: it drops the readable blocks' tombstones too. A table whose
  // index or footer is damaged yields nothing. *note: what was kept and skipped, for the report.
  Status Salvage(const TableFile& damaged, std::string* note) {
    std::unique_ptr<RandomAccessFile> file;
    std::unique_ptr<TableReader> reader;
    Status s = env_->NewRandomAccessFile(damaged.path, &file);
    if (s.ok()) s = TableReader::Open(table_options_, std::move(file), damaged.file_bytes, &reader);
    if (s.IsCorruption()) return Status::OK();
    ZIGGY_RETURN_IF_ERROR(s);
    std::unique_ptr<TableOutput> output;
    ZIGGY_RETURN_IF_ERROR(TableOutput::Create(OutputContext(), damaged.number, &output));
    created_tables_.push_back(damaged.number);
    uint64_t unparsed = 0;
    std::vector<std::string> skipped;
    ZIGGY_RETURN_IF_ERROR(reader->SalvageEntries(
        [&](std::string_view key, std::string_view value) {
          ParsedInternalKey parsed;
          if (ParseInternalKey(key, &parsed)) {
            output->Add(key, value, parsed.sequence);
          } else {
            ++unparsed;
          }
        },
        &skipped));
    const uint64_t kept = output->NumEntries();
    *note = "; kept " + std::to_string(kept) + " entries of its readable blocks";
    if (unparsed > 0) *note += ", dropped " + std::to_string(unparsed) + " with malformed keys";
    for (const std::string& block : skipped)
      *note += "; skipped " + block;
    if (kept == 0) {
      output.reset();
      RemoveTable(OutputContext(), damaged.number);
      std::erase(created_tables_, damaged.number);
      return Status::OK();
    }
    FileMetaData meta;
    meta.number = damaged.number;
    ZIGGY_RETURN_IF_ERROR(FinishTable(output.get(), &meta));
    inputs_.push_back(
        {TableFileName(staging_, damaged.number), damaged.number, meta.file_bytes, true});
    return Status::OK();
  }

  // A recovered memtable as temporary table meta->number (ReplayWal's write_table), merged with
  // the others and removed after.
  Status WriteMemTable(const MemTable& mem, FileMetaData* meta) {
    std::unique_ptr<Iterator> iter = mem.NewIterator();
    iter->SeekToFirst();
    const FileNumber number = meta->number;
    std::unique_ptr<TableOutput> output;
    ZIGGY_RETURN_IF_ERROR(TableOutput::Create(OutputContext(), number, &output));
    created_tables_.push_back(number);
    for (; iter->Valid(); iter->Next()) {
      ParsedInternalKey parsed;
      if (!ParseInternalKey(iter->key(), &parsed)) continue;  // never: the memtable's own keys
      output->Add(iter->key(), iter->value(), parsed.sequence);
    }
    if (output->NumEntries() == 0) return Status::OK();  // never: ReplayWal's have records
    ZIGGY_RETURN_IF_ERROR(FinishTable(output.get(), meta));
    inputs_.push_back({TableFileName(staging_, number), number, meta->file_bytes, true});
    return Status::OK();
  }

  // TableOutput::Finish, and the reader its read-back left in the table cache closed.
  Status FinishTable(TableOutput* output, FileMetaData* meta) {
    ZIGGY_RETURN_IF_ERROR(output->Finish(meta));
    table_cache_->Evict(meta->number);
    return Status::OK();
  }

  // Every entry of every input, in internal-key order, into new tables of about
  // target_file_size, cut only between user keys so that the run is valid for one level.
  // Of equal internal keys (the same write in a table and in a log; or a key that two bottommost
  // compactions each wrote with sequence 0, one of them since retired) the entry of the table
  // with the highest number is kept: a compaction's outputs are numbered above its inputs, so
  // it holds the later of two such versions. At most FanIn() inputs are open at once: with more,
  // groups of FanIn() inputs (consecutive in that precedence) are first merged into
  // intermediate runs in the staging directory, and those are merged in turn.
  Status Merge() {
    std::sort(inputs_.begin(), inputs_.end(),
              [](const TableFile& a, const TableFile& b) { return a.number > b.number; });
    std::vector<TableRun> runs;
    uint64_t input_bytes = 0;
    for (const TableFile& input : inputs_) {
      runs.push_back({input});
      input_bytes += input.file_bytes;
    }
    const size_t fan_in = FanIn();
    for (size_t n = runs.size(); n > fan_in; n = (n + fan_in - 1) / fan_in)
      total_bytes_ += input_bytes;  // one more pass over (about) every byte
    while (runs.size() > fan_in) {
      std::vector<TableRun> next;
      for (size_t begin = 0; begin < runs.size(); begin += fan_in) {
        const size_t end = std::min(runs.size(), begin + fan_in);
        TableRun merged;
        ZIGGY_RETURN_IF_ERROR(MergeRuns(runs, begin, end, &merged));
        if (!merged.empty()) next.push_back(std::move(merged));
      }
      runs = std::move(next);
    }
    ZIGGY_RETURN_IF_ERROR(MergeRuns(runs, 0, runs.size(), nullptr));
    return env_->SyncDir(dbname_);
  }

  // Merges runs[begin, end) (of equal internal keys, the earlier run's entry is kept) into a new
  // run in the staging directory (*merged), or, with merged == nullptr, into the repaired DB's
  // tables (outputs_). The staging tables of the inputs are removed once merged.
  Status MergeRuns(const std::vector<TableRun>& runs, size_t begin, size_t end, TableRun* merged) {
    std::vector<RunReader> readers;
    readers.reserve(end - begin);
    for (size_t i = begin; i < end; ++i)
      readers.emplace_back(env_, &table_options_, &runs[i]);
    // A heap of the valid readers' indexes, the next entry on top: the smallest key, and of
    // equal keys the earlier run's.
    const auto after = [&readers, this](size_t a, size_t b) {
      const int c = icmp_.Compare(readers[a].key(), readers[b].key());
      return c != 0 ? c > 0 : a > b;
    };
    std::vector<size_t> heap;
    for (size_t i = 0; i < readers.size(); ++i) {
      ZIGGY_RETURN_IF_ERROR(readers[i].SeekToFirst());
      if (readers[i].Valid()) heap.push_back(i);
    }
    std::make_heap(heap.begin(), heap.end(), after);
    std::unique_ptr<TableOutput> output;
    std::string last_key;
    uint64_t pending_bytes = 0;
    while (!heap.empty()) {
      std::pop_heap(heap.begin(), heap.end(), after);
      RunReader& reader = readers[heap.back()];
      const std::string_view key = reader.key();
      ParsedInternalKey parsed;
      if (!ParseInternalKey(key, &parsed)) {
        return Status::Corruption("repair: a verified table holds a malformed key");
      }
      if (!last_key.empty() && key == std::string_view(last_key)) {
        ++report_->duplicates_dropped;
      } else {
        if (output != nullptr && output->FileSize() >= options_.target_file_size &&
            ExtractUserKey(key) != ExtractUserKey(last_key)) {
          ZIGGY_RETURN_IF_ERROR(FinishMergeOutput(std::move(output), merged));
        }
        if (output == nullptr) {
          const FileNumber number = NewFileNumber();
          ZIGGY_RETURN_IF_ERROR(TableOutput::Create(OutputContext(), number, &output));
          created_tables_.push_back(number);
        }
        output->Add(key, reader.value(), parsed.sequence);
        if (merged == nullptr) {
          max_sequence_ = std::max(max_sequence_, raw(parsed.sequence));
          ++report_->entries_written;
        }
        last_key.assign(key);
        pending_bytes += key.size() + reader.value().size();
        if (pending_bytes >= (uint64_t{1} << 20)) {
          ZIGGY_RETURN_IF_ERROR(Advance(pending_bytes));
          pending_bytes = 0;
        }
      }
      ZIGGY_RETURN_IF_ERROR(reader.Next());
      if (reader.Valid()) {
        std::push_heap(heap.begin(), heap.end(), after);
      } else {
        heap.pop_back();
      }
    }
    if (output != nullptr) ZIGGY_RETURN_IF_ERROR(FinishMergeOutput(std::move(output), merged));
    readers.clear();
    for (size_t i = begin; i < end; ++i) {
      for (const TableFile& table : runs[i]) {
        if (!table.staging) continue;
        RemoveTable(OutputContext(), table.number);
        std::erase(created_tables_, table.number);
      }
    }
    return Status::OK();
  }

  // An intermediate output stays in the staging directory as the next table of *merged; a final
  // one (merged == nullptr) moves into the DB directory (FinishOutput).
  Status FinishMergeOutput(std::unique_ptr<TableOutput> output, TableRun* merged) {
    if (merged == nullptr) return FinishOutput(std::move(output));
    FileMetaData meta;
    ZIGGY_RETURN_IF_ERROR(FinishTable(output.get(), &meta));
    merged->push_back({TableFileName(staging_, meta.number), meta.number, meta.file_bytes, true});
    return Status::OK();
  }

  // A finished output is synced (TableOutput::Finish): it moves into the DB directory under its
  // final name; Merge syncs the directory once all have moved.
  Status FinishOutput(std::unique_ptr<TableOutput> output) {
    FileMetaData meta;
    ZIGGY_RETURN_IF_ERROR(FinishTable(output.get(), &meta));
    ZIGGY_RETURN_IF_ERROR(env_->RenameFile(TableFileName(staging_, meta.number),
                                           TableFileName(dbname_, meta.number)));
    created_tables_.erase(std::find(created_tables_.begin(), created_tables_.end(), meta.number));
    outputs_.push_back(std::move(meta));
    return Status::OK();
  }

  // A name in `dir` not taken yet: `name`, else `name.N`.
  std::string FreeName(const std::string& dir, const std::string& name) const {
    std::string candidate = dir + "/" + name;
    for (int i = 1; env_->FileExists(candidate); ++i) {
      candidate = dir + "/" + name + "." + std::to_string(i);
    }
    return candidate;
  }

  std::string LostDir() const { return dbname_ + "/lost"; }

  // Whatever this repair wrote and did not commit goes; nothing else is touched. Once CURRENT
  // may name the new MANIFEST (committed_), nothing it names is removed. Idempotent.
  void RemoveUncommitted() {
    for (FileNumber number : created_tables_)
      RemoveTable(OutputContext(), number);
    created_tables_.clear();
    if (!committed_) {
      for (const FileMetaData& meta : outputs_)
        env_->RemoveFile(TableFileName(dbname_, meta.number)).PermitUncheckedError();
      outputs_.clear();
      MoveBack().PermitUncheckedError();  // Run did, unless it never got the lock
    }
    if (staging_created_) env_->RemoveDir(staging_).PermitUncheckedError();
    staging_created_ = false;
  }

  // Undoes the moves made before the commit (the logs not replayed, the tables moved to lost/),
  // newest first, and removes the directories this repair made for them if empty. IOError
  // naming every file that could not be moved back (and where it is), OK if all were.
  Status MoveBack() {
    std::string failed;
    const auto undo = [&](std::vector<std::pair<std::string, std::string>>* moves) {
      for (auto it = moves->rbegin(); it != moves->rend(); ++it) {
        if (Status s = env_->RenameFile(it->second, it->first); !s.ok()) {
          failed += (failed.empty() ? "" : "; ") + it->second + " could not be moved back to " +
                    it->first + ": " + s.ToString();
        }
      }
    };
    const bool moved = !moved_before_commit_.empty() || !moved_to_lost_.empty();
    undo(&moved_to_lost_);
    undo(&moved_before_commit_);
    if (moved) env_->SyncDir(dbname_).PermitUncheckedError();
    if (!moved_before_commit_.empty()) env_->SyncDir(aside_dir_).PermitUncheckedError();
    if (!moved_to_lost_.empty()) env_->SyncDir(LostDir()).PermitUncheckedError();
    moved_to_lost_.clear();
    moved_before_commit_.clear();
    if (aside_dir_created_) env_->RemoveDir(aside_dir_).PermitUncheckedError();
    if (lost_dir_created_) env_->RemoveDir(LostDir()).PermitUncheckedError();
    aside_dir_created_ = lost_dir_created_ = false;
    if (failed.empty()) return Status::OK();
    return Status::IOError(failed);
  }

  // The unreadable tables move to lost/ before the commit; the destructor moves them back if the
  // repair fails before it (and removes lost/ if this repair made it).
  Status MoveToLost() {
    if (lost_.empty()) return Status::OK();
    const std::string dir = LostDir();
    if (!env_->FileExists(dir)) {
      ZIGGY_RETURN_IF_ERROR(env_->CreateDir(dir));
      lost_dir_created_ = true;
    }
    for (const std::string& name : lost_) {
      const std::string from = dbname_ + "/" + name;
      const std::string to = FreeName(dir, name);
      ZIGGY_RETURN_IF_ERROR(env_->RenameFile(from, to));
      moved_to_lost_.emplace_back(from, to);
    }
    ZIGGY_RETURN_IF_ERROR(env_->SyncDir(dir));
    return env_->SyncDir(dbname_);
  }

  // An empty log for the MANIFEST to name (so that no older log is ever replayed over the
  // rebuilt tables), the MANIFEST, then CURRENT.
  Status Commit() {
    const CurrentBytes current_before = ReadCurrentBytes();
    const FileNumber log_number = NewFileNumber();
    const FileNumber manifest_number = NewFileNumber();
    aside_dir_ = dbname_ + "/repair-old-" + std::to_string(raw(manifest_number));
    ZIGGY_RETURN_IF_ERROR(SetAsideNotReplayed());
    std::unique_ptr<WritableFile> log;
    const std::string log_path = LogFileName(dbname_, log_number);
    ZIGGY_RETURN_IF_ERROR(env_->NewWritableFile(log_path, &log));
    Status s = log->Sync();
    if (s.ok()) s = log->Close();
    log.reset();

    VersionEdit edit;
    edit.SetFormatVersion(kManifestFormatVersion);
    edit.SetComparatorName(icmp_.user_comparator()->Name());
    edit.SetLogNumber(log_number);
    edit.SetNextFileNumber(FileNumber{next_number_});
    max_sequence_ = std::min(max_sequence_, kMaxSequenceNumber);
    edit.SetLastSequence(SequenceNumber{max_sequence_});
    for (const FileMetaData& meta : outputs_)
      edit.AddFile(kRepairedLevel, meta);
    std::string record;
    edit.EncodeTo(&record);
    const std::string manifest_path = ManifestFileName(dbname_, manifest_number);
    std::unique_ptr<WritableFile> file;
    if (s.ok()) s = env_->NewWritableFile(manifest_path, &file);
    if (s.ok()) {
      wal::Writer writer(std::move(file), raw(manifest_number), 0);
      s = writer.AddRecord(record);
      if (s.ok()) s = writer.Sync();
      if (s.ok()) s = writer.Close();
    }
    if (s.ok()) s = env_->SyncDir(dbname_);
    bool renaming = false;  // SetCurrentFile was called: its rename may have happened
    if (s.ok()) {
      renaming = true;
      s = SetCurrentFile(env_, dbname_, manifest_number);
    }
    if (!s.ok() && renaming && CurrentMayName(manifest_path, current_before)) {
      // The rename happened (SetCurrentFile's directory sync failed, say): the commit may be
      // durable, so the new MANIFEST, its log and the new tables stay, and so do the originals.
      committed_ = true;
      report_->manifest = manifest_path.substr(dbname_.size() + 1);
      if (!moved_before_commit_.empty()) report_->moved_dir = aside_dir_;
      return s;
    }
    if (!s.ok()) {
      env_->RemoveFile(manifest_path).PermitUncheckedError();
      env_->RemoveFile(log_path).PermitUncheckedError();
      return s;
    }
    // Committed: the new tables stay; the temporaries (merged) go.
    committed_ = true;
    report_->manifest = manifest_path.substr(dbname_.size() + 1);
    report_->tables_written = outputs_.size();
    report_->last_sequence = max_sequence_;
    return Status::OK();
  }

  // The repaired DB may number its files as the DB before it did (the lost MANIFEST's counter
  // may have been above what the directory shows): a table number could come back under the
  // same IDENTITY, which backups take never to happen. So it gets a new one, written (through a
  // temporary file) before the commit: no crash leaves the repaired DB under the old identity.
  // A failure before the commit puts the old one back (RestoreIdentity); a crash there leaves
  // the unrepaired DB with a new identity, which costs its next backup only the sharing of
  // tables by name.
  Status ReplaceIdentity() {
    // "" when there is none, or it cannot be read (a damaged directory is what repair is for):
    // then a failure leaves the new one or none.
    if (!ReadDbIdentity(env_, dbname_, &old_identity_).ok()) old_identity_.clear();
    identity_replaced_ = true;
    return WriteDbIdentity(env_, dbname_, NewDbIdentity());
  }
  // Best effort: the worst a failure leaves is the new identity (see ReplaceIdentity).
  void RestoreIdentity() {
    if (!identity_replaced_) return;
    if (!old_identity_.empty()) {
      WriteDbIdentity(env_, dbname_, old_identity_).PermitUncheckedError();
    } else if (env_->RemoveFile(IdentityFileName(dbname_)).ok()) {
      env_->SyncDir(dbname_).PermitUncheckedError();
    }
  }

  // CURRENT's bytes, read whole: known is false if it cannot be read (an I/O error).
  struct CurrentBytes {
    bool known = false;
    bool exists = false;
    std::string bytes;
    bool operator==(const CurrentBytes&) const = default;
  };
  CurrentBytes ReadCurrentBytes() const {
    CurrentBytes current;
    bool exists = false;
    // Not FileExists: it says false for a CURRENT it cannot look at (EACCES, EIO), which is not
    // "certainly none".
    if (!CheckFileExists(env_, dbname_, "CURRENT", &exists).ok()) return current;
    if (!exists) {
      current.known = true;
      return current;
    }
    std::unique_ptr<SequentialFile> file;
    if (!env_->NewSequentialFile(CurrentFileName(dbname_), &file).ok()) return current;
    std::string scratch(4096, '\0');
    while (true) {
      std::string_view chunk;
      if (!file->Read(scratch.size(), &chunk, scratch.data()).ok()) return current;
      if (chunk.empty()) break;
      current.bytes.append(chunk);
    }
    current.known = current.exists = true;
    return current;
  }

  // After a failed SetCurrentFile: false only if its rename certainly did not happen: CURRENT
  // names another MANIFEST, or holds the bytes it held before the commit (a damaged CURRENT
  // says nothing by its contents), or there is none. A CURRENT that cannot be read, or whose
  // bytes changed to something else, may name it.
  bool CurrentMayName(const std::string& manifest_path, const CurrentBytes& before) const {
    std::string name;
    if (ReadCurrentFile(env_, dbname_, &name).ok()) {
      return name == manifest_path.substr(dbname_.size() + 1);
    }
    const CurrentBytes after = ReadCurrentBytes();
    if (!after.known) return true;
    if (!after.exists) return false;
    return !(before.known && after == before);
  }

  // The logs a stop left unread hold writes the repaired DB lacks. They move to the originals'
  // folder before the commit: once CURRENT names the new MANIFEST, whose log number is above
  // theirs, an Open would delete them as obsolete, and a crash between the commit and
  // MoveOriginalsAside must not leave them to it. The destructor moves them back if the repair
  // fails before the commit; a crash leaves them in the folder, and the next repair, not seeing
  // them, rebuilds the same DB.
  Status SetAsideNotReplayed() {
    if (not_replayed_.empty()) return Status::OK();
    ZIGGY_RETURN_IF_ERROR(CreateAsideDir());
    for (const std::string& name : not_replayed_) {
      const std::string to = FreeName(aside_dir_, name);
      ZIGGY_RETURN_IF_ERROR(env_->RenameFile(dbname_ + "/" + name, to));
      moved_before_commit_.emplace_back(dbname_ + "/" + name, to);
    }
    ZIGGY_RETURN_IF_ERROR(env_->SyncDir(aside_dir_));
    return env_->SyncDir(dbname_);
  }

  Status CreateAsideDir() {
    if (env_->FileExists(aside_dir_)) return Status::OK();
    ZIGGY_RETURN_IF_ERROR(env_->CreateDir(aside_dir_));
    aside_dir_created_ = true;
    return Status::OK();
  }

  // Best effort once committed: a file left in place is obsolete, and the next Open deletes it
  // (its contents are in the new tables, or superseded).
  void MoveOriginalsAside() {
    for (FileNumber number : manifest_numbers_)
      originals_.push_back(ManifestFileName(dbname_, number).substr(dbname_.size() + 1));
    if (!moved_before_commit_.empty()) report_->moved_dir = aside_dir_;
    if (originals_.empty() || !CreateAsideDir().ok()) return;
    for (const std::string& name : originals_) {
      env_->RenameFile(dbname_ + "/" + name, FreeName(aside_dir_, name)).PermitUncheckedError();
    }
    env_->SyncDir(aside_dir_).PermitUncheckedError();
    env_->SyncDir(dbname_).PermitUncheckedError();
    report_->moved_dir = aside_dir_;
  }

  void Note(std::vector<std::string>* list, std::string line) { list->push_back(std::move(line)); }

  const std::string dbname_;
  const Options options_;
  Env* const env_;
  const InternalKeyComparator icmp_;
  RepairReport* const report_;
  const RepairProgress& progress_;
  const std::string staging_;
  bool staging_created_ = false;
  bool committed_ = false;
  bool identity_replaced_ = false;  // ReplaceIdentity wrote a new IDENTITY
  std::string old_identity_;        // the one it replaced ("": none)
  std::unique_ptr<FilterPolicy> user_filter_policy_;
  std::unique_ptr<FilterPolicy> filter_policy_;
  TableOptions table_options_;
  std::unique_ptr<TableCache> table_cache_;

  uint64_t next_number_ = 2;
  uint64_t max_sequence_ = 0;
  uint64_t done_bytes_ = 0;
  uint64_t total_bytes_ = 0;
  std::vector<FileNumber> table_numbers_;
  std::vector<FileNumber> log_numbers_;
  std::vector<FileNumber> manifest_numbers_;
  // The edits of the MANIFESTs that add or remove tables, in the order they were written (a
  // MANIFEST numbered higher was written later).
  std::vector<ManifestEdit> edits_;
  std::vector<std::string> not_replayed_;  // names of the logs after the WAL's end
  std::vector<std::string> lost_;          // names of unreadable tables
  // Names of the tables and logs merged or set aside as retired: moved aside once committed.
  std::vector<std::string> originals_;
  std::vector<TableFile> inputs_;  // verified originals and replayed logs' tables
  // Tables in the staging directory (replayed logs' tables, merge outputs being written):
  // removed on destruction.
  std::vector<FileNumber> created_tables_;
  // Merge outputs moved into the DB directory: removed on destruction unless committed.
  std::vector<FileMetaData> outputs_;
  // Where the originals go: repair-old-<the new MANIFEST's number>.
  std::string aside_dir_;
  bool aside_dir_created_ = false;
  // (from, to) of the logs SetAsideNotReplayed moved: moved back unless committed.
  std::vector<std::pair<std::string, std::string>> moved_before_commit_;
  // (from, to) of the tables MoveToLost moved: moved back unless committed.
  std::vector<std::pair<std::string, std::string>> moved_to_lost_;
  bool lost_dir_created_ = false;
};

}  // namespace

Status RepairDB(const std::string& path, const Options& options, RepairReport* report,
                const RepairProgress& progress) {
  ZIGGY_RETURN_IF_ERROR(options.Validate());
  Env* env = options.env != nullptr ? options.env : Env::Default();
  std::vector<std::string> names;
  if (Status listed = env->GetChildren(path, &names); !listed.ok()) {
    return listed.IsNotFound() ? Status::NotFound("no such directory", path) : listed;
  }
  // A directory without a table, log, MANIFEST or CURRENT holds nothing to repair: it is left
  // alone (not even LOCK is created), rather than turned into an empty DB.
  const bool has_db_files = std::any_of(names.begin(), names.end(), [](const std::string& name) {
    FileNumber number{};
    FileType type{};
    return ParseFileName(name, &number, &type) &&
           (type == FileType::kTableFile || type == FileType::kLogFile ||
            type == FileType::kManifestFile || type == FileType::kCurrentFile);
  });
  if (!has_db_files) return Status::InvalidArgument("holds no ZiggyDB files to repair", path);
  RepairReport local;
  Repairer repairer(path, options, report != nullptr ? report : &local, progress);
  return repairer.Run();
}

Status RepairDB(const std::string& path, const Options& options) {
  RepairReport report;
  Status s = RepairDB(path, options, &report, RepairProgress());
  if (options.info_log != nullptr) {
    options.info_log->Log("event=repair path=" + path + " status=\"" + s.ToString() +
                          "\" tables_kept=" + std::to_string(report.tables_kept.size()) +
                          " lost=" + std::to_string(report.lost.size()) +
                          " retired=" + std::to_string(report.retired.size()) +
                          " logs=" + std::to_string(report.logs.size()) +
                          " logs_obsolete=" + std::to_string(report.logs_obsolete.size()) +
                          " logs_not_replayed=" + std::to_string(report.logs_not_replayed.size()) +
                          " log_damage=" + std::to_string(report.log_damage.size()) +
                          " entries=" + std::to_string(report.entries_written));
    for (const std::string& line : report.lost)
      options.info_log->Log("repair: lost " + line);
    for (const std::string& line : report.log_damage)
      options.info_log->Log("repair: log damage: " + line);
    for (const std::string& line : report.logs_not_replayed)
      options.info_log->Log("repair: not replayed (kept aside): " + line);
  }
  return s;
}

}  // namespace ziggydb
