#include "crashstate/crash_states.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>

#include "env/mem_path.h"
#include "util/hash.h"
#include "util/status_macros.h"

namespace ziggydb::test {
namespace {

using mem_path::NormalizeDir;

std::string ParentDir(const std::string& path) {
  return std::string(mem_path::ParentDir(path));
}

// One unit of writeback: bytes at an offset, or (resize) a new size.
struct Piece {
  bool resize;
  uint64_t offset;
  std::string bytes;

  void ApplyTo(std::string* file) const {
    if (resize) {
      file->resize(offset, '\0');
      return;
    }
    if (file->size() < offset + bytes.size()) file->resize(offset + bytes.size(), '\0');
    file->replace(offset, bytes.size(), bytes);
  }
};

struct Inode {
  std::string durable;         // as of the last sync
  std::vector<Piece> pending;  // since, in order

  // When every pending piece overwrites bytes inside the durable size (a preallocated file),
  // the pages they touch: any one of them may miss the writeback that reached the others (the
  // file's size is durable, so no journal commit orders them). Otherwise none.
  std::vector<uint64_t> OverwrittenPages(uint64_t page_bytes) const {
    std::vector<uint64_t> pages;
    for (const Piece& piece : pending) {
      if (piece.resize || piece.offset + piece.bytes.size() > durable.size()) return {};
      pages.push_back(piece.offset / page_bytes);
    }
    std::sort(pages.begin(), pages.end());
    pages.erase(std::unique(pages.begin(), pages.end()), pages.end());
    return pages;
  }
};

// The inode number a directory's name stands for (a subdirectory is a name in its parent).
constexpr uint64_t kDirectory = UINT64_MAX;

// A change to one directory's names, applied atomically: path -> inode, or removed (nullopt).
using NameOp = std::vector<std::pair<std::string, std::optional<uint64_t>>>;

struct Dir {
  std::map<std::string, uint64_t> durable;  // path -> inode, as of the last directory sync
  std::vector<NameOp> pending;
};

void ApplyNameOp(const NameOp& op, std::map<std::string, uint64_t>* names) {
  for (const auto& [path, inode] : op) {
    if (inode.has_value()) {
      (*names)[path] = *inode;
    } else {
      names->erase(path);
    }
  }
}

// The file system as the log has built it up to some operation.
class Replay {
 public:
  Replay(uint64_t page_bytes, bool overwrite_holes)
      : page_bytes_(page_bytes), overwrite_holes_(overwrite_holes) {}

  void Apply(const FsOp& op) {
    switch (op.kind) {
      case FsOp::Kind::kCreate:
        inodes_[op.inode] = Inode{};
        Name(op.path, op.inode);
        break;
      case FsOp::Kind::kWrite: {
        // Cut at the page boundaries of the file's offsets.
        Inode& inode = inodes_[op.inode];
        uint64_t offset = op.offset;
        size_t done = 0;
        while (done < op.data.size()) {
          const uint64_t page_end = (offset / page_bytes_ + 1) * page_bytes_;
          const size_t n =
              static_cast<size_t>(std::min<uint64_t>(op.data.size() - done, page_end - offset));
          inode.pending.push_back({false, offset, op.data.substr(done, n)});
          offset += n;
          done += n;
        }
        break;
      }
      case FsOp::Kind::kTruncate:
        inodes_[op.inode].pending.push_back({true, op.offset, {}});
        break;
      case FsOp::Kind::kSync: {
        Inode& inode = inodes_[op.inode];
        for (const Piece& piece : inode.pending)
          piece.ApplyTo(&inode.durable);
        inode.pending.clear();
        break;
      }
      case FsOp::Kind::kRename: {
        const uint64_t inode = live_.at(op.path);
        if (ParentDir(op.path) == ParentDir(op.path2)) {
          live_.erase(op.path);
          live_[op.path2] = inode;
          dirs_[ParentDir(op.path)].pending.push_back({{op.path, std::nullopt}, {op.path2, inode}});
        } else {
          Name(op.path2, inode);
          Unname(op.path);
        }
        break;
      }
      case FsOp::Kind::kUnlink:
        Unname(op.path);
        break;
      case FsOp::Kind::kLink:
        Name(op.path2, live_.at(op.path));
        break;
      case FsOp::Kind::kMkdir: {
        // A new name in its parent (RecordingEnv logs only directories it made).
        const std::string dir(NormalizeDir(op.path));
        if (made_dirs_.insert(dir).second) Name(dir, kDirectory);
        break;
      }
      case FsOp::Kind::kSyncDir: {
        Dir& dir = dirs_[std::string(NormalizeDir(op.path))];
        for (const NameOp& name_op : dir.pending)
          ApplyNameOp(name_op, &dir.durable);
        dir.pending.clear();
        break;
      }
    }
  }

  // Every state a crash now may leave (see the header for the cap). Returns whether it capped.
  bool Enumerate(uint64_t max_combinations,
                 const std::function<void(const DiskState&)>& visit) const {
    // Dimensions: directories with pending name changes, then files with pending pieces that
    // some name (durable or pending) may reach.
    std::vector<const Dir*> dirs;
    std::set<uint64_t> reachable;
    for (const auto& [path, dir] : dirs_) {
      for (const auto& [name, inode] : dir.durable)
        if (inode != kDirectory) reachable.insert(inode);
      for (const NameOp& op : dir.pending) {
        for (const auto& [name, inode] : op) {
          if (inode.has_value() && *inode != kDirectory) reachable.insert(*inode);
        }
      }
      if (!dir.pending.empty()) dirs.push_back(&dir);
    }
    std::vector<uint64_t> files;
    for (const uint64_t number : reachable) {
      if (!inodes_.at(number).pending.empty()) files.push_back(number);
    }
    // Choices per dimension: for a directory, 0 .. pending count (a prefix of its changes); for
    // a file, the same, then (overwrite_holes) one per overwritten page (everything kept but
    // that page).
    std::vector<size_t> sizes;
    for (const Dir* dir : dirs)
      sizes.push_back(dir->pending.size() + 1);
    std::map<uint64_t, std::vector<uint64_t>> holes;  // inode -> OverwrittenPages
    for (const uint64_t number : files) {
      const Inode& inode = inodes_.at(number);
      if (overwrite_holes_) holes[number] = inode.OverwrittenPages(page_bytes_);
      sizes.push_back(inode.pending.size() + 1 + holes[number].size());
    }

    auto produce = [&](const std::vector<size_t>& choice) {
      DiskState state;
      std::map<uint64_t, size_t> kept;  // inode -> its choice
      for (size_t i = 0; i < files.size(); ++i)
        kept[files[i]] = choice[dirs.size() + i];
      // Every directory's names at this choice; a directory exists if its name and every
      // ancestor's survived (sorted: a parent before its children), a file if its directory did.
      std::map<std::string, std::map<std::string, uint64_t>> names_of;
      size_t d = 0;
      for (const auto& [path, dir] : dirs_) {
        std::map<std::string, uint64_t>& names = names_of[path];
        names = dir.durable;
        if (!dir.pending.empty()) {
          for (size_t i = 0; i < choice[d]; ++i)
            ApplyNameOp(dir.pending[i], &names);
          ++d;
        }
      }
      // A directory the log never made was there before it: durable.
      auto exists = [&](const std::string& dir) {
        return !made_dirs_.contains(dir) || state.dirs.contains(dir);
      };
      for (const auto& [path, names] : names_of) {
        for (const auto& [name, number] : names) {
          if (number == kDirectory && exists(path)) state.dirs.insert(name);
        }
      }
      for (const auto& [path, names] : names_of) {
        if (!exists(path)) continue;
        for (const auto& [name, number] : names) {
          if (number == kDirectory) continue;
          const Inode& inode = inodes_.at(number);
          std::string bytes = inode.durable;
          auto it = kept.find(number);
          const size_t choice_value = it == kept.end() ? 0 : it->second;
          const size_t pieces = std::min(choice_value, inode.pending.size());
          for (size_t i = 0; i < pieces; ++i)
            inode.pending[i].ApplyTo(&bytes);
          if (choice_value > inode.pending.size()) {
            const uint64_t page = holes.at(number)[choice_value - inode.pending.size() - 1];
            const uint64_t begin = page * page_bytes_;
            const uint64_t end = std::min<uint64_t>(begin + page_bytes_, inode.durable.size());
            bytes.replace(begin, end - begin, inode.durable, begin, end - begin);
          }
          state.files[name] = std::move(bytes);
        }
      }
      visit(state);
    };

    uint64_t product = 1;
    for (const size_t size : sizes)
      product = std::min<uint64_t>(product * size, max_combinations + 1);
    if (product <= max_combinations) {
      std::vector<size_t> choice(sizes.size(), 0);
      for (;;) {
        produce(choice);
        size_t i = 0;
        while (i < choice.size() && ++choice[i] == sizes[i])
          choice[i++] = 0;
        if (i == choice.size()) return false;
      }
    }
    std::vector<size_t> newest(sizes.size());
    for (size_t i = 0; i < sizes.size(); ++i)
      newest[i] = sizes[i] - 1;
    std::vector<size_t> oldest(sizes.size(), 0);
    produce(newest);
    produce(oldest);
    for (const std::vector<size_t>* base : {&newest, &oldest}) {
      for (size_t i = 0; i < sizes.size(); ++i) {
        std::vector<size_t> choice = *base;
        for (size_t v = 0; v < sizes[i]; ++v) {
          choice[i] = v;
          produce(choice);
        }
      }
    }
    return true;
  }

 private:
  void Name(const std::string& path, uint64_t inode) {
    live_[path] = inode;
    dirs_[ParentDir(path)].pending.push_back({{path, inode}});
  }
  void Unname(const std::string& path) {
    live_.erase(path);
    dirs_[ParentDir(path)].pending.push_back({{path, std::nullopt}});
  }

  const uint64_t page_bytes_;
  const bool overwrite_holes_;
  std::map<uint64_t, Inode> inodes_;
  std::map<std::string, Dir> dirs_;       // by directory path
  std::map<std::string, uint64_t> live_;  // path -> inode, as the workload saw it
  std::set<std::string> made_dirs_;       // every directory the log made (others predate it)
};

}  // namespace

uint64_t DiskState::Hash() const {
  uint64_t hash = 0;
  for (const std::string& dir : dirs)
    hash = Hash64(dir, hash + 1);
  for (const auto& [path, bytes] : files)
    hash = Hash64(bytes, Hash64(path, hash + 2));
  return hash;
}

Status DiskState::Materialize(Env* env) const {
  for (const std::string& dir : dirs)
    ZIGGY_RETURN_IF_ERROR(env->CreateDir(dir));
  std::set<std::string> parents;
  for (const auto& [path, bytes] : files) {
    // Its directory may predate the log (no kMkdir made it; it is not in `dirs`).
    if (const std::string dir = ParentDir(path); !dir.empty() && dir != "/")
      ZIGGY_RETURN_IF_ERROR(env->CreateDir(dir));
    std::unique_ptr<WritableFile> file;
    ZIGGY_RETURN_IF_ERROR(env->NewWritableFile(path, &file));
    ZIGGY_RETURN_IF_ERROR(file->Append(bytes));
    ZIGGY_RETURN_IF_ERROR(file->Sync());
    ZIGGY_RETURN_IF_ERROR(file->Close());
    parents.insert(ParentDir(path));
  }
  for (const std::string& dir : dirs)
    parents.insert(ParentDir(dir));
  for (const std::string& dir : parents)
    ZIGGY_RETURN_IF_ERROR(env->SyncDir(dir));
  return Status::OK();
}

uint64_t EnumerateCrashStates(const std::vector<FsOp>& log, const CrashStateOptions& options,
                              const std::function<void(uint64_t k, const DiskState&)>& visit) {
  Replay replay(options.page_bytes, options.overwrite_holes);
  uint64_t capped = 0;
  for (uint64_t k = 0;; ++k) {
    if (replay.Enumerate(options.max_combinations,
                         [&](const DiskState& state) { visit(k, state); })) {
      ++capped;
    }
    if (k == log.size()) break;
    replay.Apply(log[k]);
  }
  return capped;
}

}  // namespace ziggydb::test
