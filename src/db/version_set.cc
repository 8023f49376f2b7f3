#include "db/version_set.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <utility>

#include "db/filename.h"
#include "util/assert.h"
#include "wal/log_writer.h"
#include "ziggydb/env.h"

namespace ziggydb {
namespace {

bool SameFileNumber(const std::shared_ptr<const FileMetaData>& file, FileNumber number) {
  return file->number == number;
}

}  // namespace

// ---- Version ----

const Version::FileList& Version::files(int level) const {
  ZIGGY_ASSERT(level >= 0 && level < kNumLevels);
  return files_[level];
}

uint64_t Version::LevelBytes(int level) const {
  ZIGGY_ASSERT(level >= 0 && level < kNumLevels);
  return level_bytes_[level];
}

bool Version::ChargeSeek(std::string_view user_key) const {
  if (seek_budget_ == 0 || overlapped_seeks_.load(std::memory_order_relaxed) >= seek_budget_) {
    return false;
  }
  const Comparator* ucmp = icmp_->user_comparator();
  const auto in_range = [&](const FileMetaData& first, const FileMetaData& last) {
    return ucmp->Compare(user_key, ExtractUserKey(first.smallest)) >= 0 &&
           ucmp->Compare(user_key, ExtractUserKey(last.largest)) <= 0;
  };
  int runs = 0;
  for (const auto& file : files_[0]) {
    if (in_range(*file, *file)) ++runs;
  }
  if (runs == 0) return false;
  // A deeper level is one run; the key may fall in a gap between its tables, but a seek still
  // positions in the table after the gap.
  for (int level = 1; runs < 2 && level < kNumLevels; ++level) {
    const FileList& list = files_[level];
    if (!list.empty() && in_range(*list.front(), *list.back())) ++runs;
  }
  if (runs < 2) return false;
  return overlapped_seeks_.fetch_add(1, std::memory_order_relaxed) + 1 == seek_budget_;
}

void Version::AddLiveFiles(std::set<FileNumber>* live) const {
  for (const auto& list : files_) {
    for (const auto& file : list)
      live->insert(file->number);
  }
}

std::string Version::DebugString() const {
  std::string out;
  char buf[96];
  for (int level = 0; level < kNumLevels; ++level) {
    std::snprintf(buf, sizeof(buf), "L%d: %zu files, %" PRIu64 " bytes\n", level,
                  files_[level].size(), LevelBytes(level));
    out += buf;
  }
  return out;
}

// ---- VersionBuilder ----

VersionBuilder::VersionBuilder(const InternalKeyComparator* icmp, const Version& base)
    : icmp_(icmp) {
  for (int level = 0; level < kNumLevels; ++level)
    files_[level] = base.files(level);
}

Status VersionBuilder::Apply(const VersionEdit& edit) {
  for (const auto& [level, number] : edit.removed_files()) {
    auto& list = files_[level];
    auto it = std::find_if(list.begin(), list.end(),
                           [n = number](const auto& file) { return SameFileNumber(file, n); });
    if (it == list.end()) {
      return Status::Corruption("version edit removes a table that is not live",
                                std::to_string(raw(number)));
    }
    list.erase(it);
  }
  for (const auto& [level, file] : edit.added_files()) {
    for (const auto& list : files_) {
      if (std::any_of(list.begin(), list.end(),
                      [n = file.number](const auto& live) { return SameFileNumber(live, n); })) {
        return Status::Corruption("version edit adds a table twice",
                                  std::to_string(raw(file.number)));
      }
    }
    if (icmp_->Compare(file.smallest, file.largest) > 0) {
      return Status::Corruption("version edit adds a table with smallest > largest",
                                std::to_string(raw(file.number)));
    }
    files_[level].push_back(std::make_shared<const FileMetaData>(file));
  }
  return Status::OK();
}

Status VersionBuilder::Finish(std::shared_ptr<const Version>* version) const {
  auto result = std::make_shared<Version>(icmp_);
  for (int level = 0; level < kNumLevels; ++level) {
    auto list = files_[level];
    if (level == 0) {
      std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) {
        if (a->largest_sequence != b->largest_sequence) {
          return a->largest_sequence > b->largest_sequence;
        }
        return a->number > b->number;
      });
    } else {
      std::sort(list.begin(), list.end(), [this](const auto& a, const auto& b) {
        return icmp_->Compare(a->smallest, b->smallest) < 0;
      });
      for (size_t i = 1; i < list.size(); ++i) {
        if (icmp_->Compare(list[i - 1]->largest, list[i]->smallest) >= 0) {
          return Status::Corruption("overlapping tables in level " + std::to_string(level),
                                    std::to_string(raw(list[i]->number)));
        }
      }
    }
    uint64_t bytes = 0;
    for (const auto& file : list)
      bytes += file->file_bytes;
    result->level_bytes_[level] = bytes;
    result->files_[level] = std::move(list);
  }
  if (!result->files_[0].empty()) {
    uint64_t rewrite = result->level_bytes_[0];
    for (int level = 1; level < kNumLevels; ++level) {
      if (result->level_bytes_[level] == 0) continue;
      rewrite += result->level_bytes_[level];
      break;
    }
    result->seek_budget_ = std::max(rewrite / Version::kSeekChargeBytes, Version::kMinSeekBudget);
  }
  *version = std::move(result);
  return Status::OK();
}

// ---- VersionSet ----

VersionSet::VersionSet(std::string dbname, Env* env, const InternalKeyComparator* icmp,
                       Logger* info_log)
    : dbname_(std::move(dbname)),
      env_(env),
      icmp_(icmp),
      info_log_(info_log),
      current_(std::make_shared<const Version>(icmp)) {}

VersionSet::~VersionSet() {
  if (manifest_writer_ != nullptr) manifest_writer_->Close().PermitUncheckedError();
}

void VersionSet::Log(const std::string& line) const {
  if (info_log_ != nullptr) info_log_->Log(line);
}

void VersionSet::MarkFileNumberUsed(FileNumber number) {
  if (raw(number) >= next_file_number_) next_file_number_ = raw(number) + 1;
}

void VersionSet::SetLastSequence(SequenceNumber sequence) {
  ZIGGY_ASSERT(raw(sequence) >= raw(last_sequence_));
  ZIGGY_ASSERT(raw(sequence) <= kMaxSequenceNumber);
  last_sequence_ = sequence;
}

void VersionSet::AddLiveFiles(std::set<FileNumber>* live) {
  std::erase_if(installed_, [](const auto& weak) { return weak.expired(); });
  for (const auto& weak : installed_) {
    if (auto version = weak.lock()) version->AddLiveFiles(live);
  }
  current_->AddLiveFiles(live);
}

void VersionSet::ReserveInstall() {
  std::erase_if(installed_, [](const auto& weak) { return weak.expired(); });
  installed_.reserve(installed_.size() + 1);
}

void VersionSet::Install(std::shared_ptr<const Version> version) {
  std::erase_if(installed_, [](const auto& weak) { return weak.expired(); });
  installed_.push_back(version);
  current_ = std::move(version);
}

}  // namespace ziggydb
