// BackupEngineImpl: Open, leftovers, CreateNewBackup, listing, delete and purge
// (backup_engine_impl.h; docs/format/backup.md).
#include <algorithm>
#include <charconv>
#include <limits>
#include <map>
#include <utility>

#include "backup/backup_engine_impl.h"
#include "backup/file_checksum.h"
#include "db/checkpoint.h"
#include "db/db_impl.h"
#include "db/filename.h"
#include "util/status_macros.h"

namespace ziggydb {
namespace {

constexpr std::string_view kTempSuffix = ".tmp";

bool ParseId(std::string_view name, uint32_t* id) {
  if (name.empty() || name.front() == '0') return false;
  const auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), *id);
  return error == std::errc() && end == name.data() + name.size();
}

Status ReadWholeFile(Env* env, const std::string& path, std::string* data) {
  std::unique_ptr<SequentialFile> file;
  ZIGGY_RETURN_IF_ERROR(env->NewSequentialFile(path, &file));
  data->clear();
  std::string scratch(size_t{64} << 10, '\0');
  while (true) {
    std::string_view chunk;
    ZIGGY_RETURN_IF_ERROR(file->Read(scratch.size(), &chunk, scratch.data()));
    if (chunk.empty()) return Status::OK();
    data->append(chunk);
  }
}

}  // namespace

Status RemoveFilesIn(Env* env, const std::string& dir, std::string_view keep) {
  std::vector<std::string> names;
  Status s = env->GetChildren(dir, &names);
  ZIGGY_RETURN_IF_ERROR(s);
  for (const std::string& name : names) {
    if (name == keep) continue;
    Status removed = env->RemoveFile(dir + "/" + name);
    if (s.ok()) s = std::move(removed);
  }
  return s;
}

Status RemoveFlatDir(Env* env, const std::string& dir) {
  Status s = RemoveFilesIn(env, dir);
  if (s.IsNotFound()) return Status::OK();
  ZIGGY_RETURN_IF_ERROR(s);
  return env->RemoveDir(dir);
}

Status BackupEngine::Open(const std::string& backup_dir, const BackupEngineOptions& options,
                          std::unique_ptr<BackupEngine>* engine) {
  engine->reset();
  if (backup_dir.empty()) return Status::InvalidArgument("backup directory is empty");
  auto impl = std::make_unique<BackupEngineImpl>(backup_dir, options);
  ZIGGY_RETURN_IF_ERROR(impl->Init());
  *engine = std::move(impl);
  return Status::OK();
}

BackupEngineImpl::BackupEngineImpl(std::string backup_dir, const BackupEngineOptions& options)
    : dir_(std::move(backup_dir)),
      options_(options),
      env_(options.env != nullptr ? options.env : Env::Default()) {}

BackupEngineImpl::~BackupEngineImpl() {
  if (lock_ != nullptr) env_->UnlockFile(std::move(lock_)).PermitUncheckedError();
}

Status BackupEngineImpl::InitReadOnly() {
  if (!env_->FileExists(dir_ + "/meta")) {
    if (!env_->FileExists(dir_)) return Status::NotFound("no backup directory", dir_);
    ZIGGY_RETURN_IF_ERROR(CheckIsBackupDir());
    return Status::NotFound("no backup has been made in this directory", dir_);
  }
  Status s = DbReadLock::Acquire(dir_, &read_lock_);
  if (s.IsBusy()) return Status::Busy("a writing backup engine has the directory open", dir_);
  ZIGGY_RETURN_IF_ERROR(s);
  return LoadMetas();
}

Status BackupEngineImpl::Init() {
  if (options_.read_only) return InitReadOnly();
  // In doubt (it cannot be looked at), the directory is taken as the user's: checked, and kept.
  bool existed = MayExist(env_, dir_);
  if (existed) {
    Status checked = CheckIsBackupDir();
    if (checked.IsNotFound()) {
      existed = false;  // its parent could not be listed, but it is not there
    } else {
      ZIGGY_RETURN_IF_ERROR(checked);
    }
  }
  ZIGGY_RETURN_IF_ERROR(env_->CreateDir(dir_));
  Status s = existed ? Status::OK() : env_->SyncDir(ParentDirectory(dir_));
  if (s.ok()) s = env_->LockFile(dir_ + "/LOCK", &lock_);
  for (const char* sub : {"meta", "shared", "private"})
    if (s.ok()) s = env_->CreateDir(Path(sub));
  if (s.ok()) s = env_->SyncDir(dir_);
  if (s.ok()) s = LoadMetas();
  if (s.ok()) s = CollectGarbage();
  if (!s.ok() && !existed) {
    // Nothing of a directory this call created stays (it holds no backup yet). Its parts only
    // while this call holds the LOCK: an engine that won a race to open it owns them; the
    // directory itself only while empty.
    if (lock_ != nullptr) {
      for (const char* sub : {"meta", "shared", "private"})
        env_->RemoveDir(Path(sub)).PermitUncheckedError();
      env_->RemoveFile(dir_ + "/LOCK").PermitUncheckedError();
      env_->UnlockFile(std::move(lock_)).PermitUncheckedError();
    }
    env_->RemoveDir(dir_).PermitUncheckedError();
  }
  return s;
}

Status BackupEngineImpl::CheckIsBackupDir() const {
  std::vector<std::string> names;
  ZIGGY_RETURN_IF_ERROR(env_->GetChildren(dir_, &names));
  // A backup directory holds meta/ from its first Open on; before it, at most the LOCK that Open
  // takes first. Anything else is someone's files, which the clean-up of leftovers would delete.
  if (std::find(names.begin(), names.end(), "meta") != names.end()) return Status::OK();
  const auto foreign = std::find_if(names.begin(), names.end(),
                                    [](const std::string& name) { return name != "LOCK"; });
  if (foreign == names.end()) return Status::OK();
  return Status::InvalidArgument(
      "not a backup directory: it holds " + *foreign + " and no meta/ (give an empty or new one)",
      dir_);
}

Status BackupEngineImpl::LoadMetas() {
  std::vector<std::string> names;
  ZIGGY_RETURN_IF_ERROR(env_->GetChildren(Path("meta"), &names));
  for (const std::string& name : names) {
    uint32_t id = 0;
    if (!ParseId(name, &id)) continue;  // temporary files: CollectGarbage
    const std::string path = Path("meta/" + name);
    std::string data;
    BackupMeta meta;
    Status s = ReadWholeFile(env_, path, &data);
    if (s.ok()) s = DecodeBackupMeta(data, path, &meta);
    if (s.ok() && meta.id != id) s = Status::Corruption("backup metadata names another id", path);
    if (s.ok()) {
      backups_[id] = std::move(meta);
    } else {
      unreadable_ids_.insert(id);
    }
  }
  return Status::OK();
}

Status BackupEngineImpl::CollectGarbage() {
  std::set<std::string> listed;
  for (const auto& [id, meta] : backups_)
    for (const BackupFile& file : meta.files)
      listed.insert(file.path);
  for (const char* sub : {"meta", "shared", "private"}) {
    std::vector<std::string> names;
    ZIGGY_RETURN_IF_ERROR(env_->GetChildren(Path(sub), &names));
    bool removed_any = false;
    for (const std::string& name : names) {
      const std::string relative = std::string(sub) + "/" + name;
      const bool temp = name.ends_with(kTempSuffix);
      uint32_t id = 0;
      bool remove = false;
      if (std::string_view(sub) == "meta") {
        remove = temp;
      } else if (std::string_view(sub) == "shared") {
        remove = temp || (unreadable_ids_.empty() && !listed.contains(relative));
      } else if (ParseId(name, &id)) {
        remove = !backups_.contains(id) && !unreadable_ids_.contains(id);
        if (remove) {
          ZIGGY_RETURN_IF_ERROR(RemoveFlatDir(env_, Path(relative)));
          removed_any = true;
          continue;
        }
      }
      if (!remove) continue;
      ZIGGY_RETURN_IF_ERROR(env_->RemoveFile(Path(relative)));
      removed_any = true;
    }
    if (removed_any) ZIGGY_RETURN_IF_ERROR(env_->SyncDir(Path(sub)));
  }
  return Status::OK();
}

Status BackupEngineImpl::CreateNewBackup(DB* db, bool flush_first, uint32_t* id) {
  if (options_.read_only)
    return Status::NotSupported("the backup engine was opened read-only", dir_);
  auto* impl = dynamic_cast<DBImpl*>(db);
  if (impl == nullptr) return Status::InvalidArgument("not a DB opened by DB::Open");
  uint32_t last_id = 0;
  if (!backups_.empty()) last_id = backups_.rbegin()->first;
  if (!unreadable_ids_.empty()) last_id = std::max(last_id, *unreadable_ids_.rbegin());
  if (last_id == std::numeric_limits<uint32_t>::max()) {
    // Id 0 is no backup's: a file meta/0 would never be listed, and its files would be removed.
    return Status::InvalidArgument(
        "backup ids exhausted",
        "a backup (or unreadable metadata) holds the largest id, " + std::to_string(last_id));
  }
  LiveFiles files;
  ZIGGY_RETURN_IF_ERROR(impl->GetLiveFiles(flush_first, &files));
  BackupMeta meta;
  meta.id = last_id + 1;
  meta.timestamp_seconds = static_cast<int64_t>(env_->WallMicros() / 1000000);
  meta.sequence = raw(files.sequence);
  meta.log_number = raw(files.log_number);
  meta.manifest_number = raw(files.manifest_number);
  meta.wal_archive_dir = files.wal_archive_dir;
  meta.db_identity = files.db_identity;
  bool keep_files = false;
  std::vector<std::string> stored;
  Status s = WriteBackup(files, &meta, &stored, &keep_files);
  if (!s.ok()) {
    if (keep_files) {
      // Its metadata may be on disk (whole, as are the files it lists): listed, as the next Open
      // would list it, so that no clean-up removes those files and no backup reuses its id.
      backups_[meta.id] = std::move(meta);
      return s;
    }
    // What this attempt added: its private directory, the shared files it stored (by name: the
    // clean-up of unlisted ones is off while a metadata file is unreadable), temporary files.
    RemoveFlatDir(env_, Path(PrivateDir(meta.id))).PermitUncheckedError();
    for (const std::string& path : stored)
      env_->RemoveFile(Path(path)).PermitUncheckedError();
    if (!stored.empty()) env_->SyncDir(Path("shared")).PermitUncheckedError();
    CollectGarbage().PermitUncheckedError();
    return s;
  }
  *id = meta.id;
  backups_[meta.id] = std::move(meta);
  return Status::OK();
}

Status BackupEngineImpl::WriteBackup(const LiveFiles& files, BackupMeta* meta,
                                     std::vector<std::string>* stored, bool* keep_files) {
  uint64_t total_bytes = 0;
  for (const LiveTable& table : files.tables)
    total_bytes += table.file_bytes;
  StartProgress(total_bytes);
  // Copies first, then the syncs, so that the copies' writeback overlaps.
  std::vector<std::pair<std::string, std::string>> copies;  // temp -> final, relative
  for (const LiveTable& table : files.tables) {
    BackupFile file;
    std::string copied_to;
    ZIGGY_RETURN_IF_ERROR(StoreTable(files, table, &file, &copied_to));
    if (!copied_to.empty()) copies.emplace_back(copied_to, file.path);
    meta->files.push_back(std::move(file));
  }
  for (const auto& [temp, final_path] : copies) {
    ZIGGY_RETURN_IF_ERROR(SyncFile(env_, Path(temp)));
    // The same bytes may be stored already (another backup of the same table): keep that copy.
    if (env_->FileExists(Path(final_path))) {
      ZIGGY_RETURN_IF_ERROR(env_->RemoveFile(Path(temp)));
    } else {
      ZIGGY_RETURN_IF_ERROR(env_->RenameFile(Path(temp), Path(final_path)));
      stored->push_back(final_path);
    }
  }
  ZIGGY_RETURN_IF_ERROR(env_->SyncDir(Path("shared")));
  const std::string private_dir = PrivateDir(meta->id);
  ZIGGY_RETURN_IF_ERROR(env_->CreateDir(Path(private_dir)));
  ZIGGY_RETURN_IF_ERROR(env_->SyncDir(Path("private")));
  ZIGGY_RETURN_IF_ERROR(
      WriteManifestFile(env_, Path(private_dir), files.manifest_number, files.manifest_record));
  BackupFile manifest;
  manifest.db_name = ManifestFileName("", files.manifest_number).substr(1);  // no leading '/'
  manifest.path = private_dir + "/" + manifest.db_name;
  // Read back: the checksum is of the bytes on disk.
  ZIGGY_RETURN_IF_ERROR(
      ChecksumFile(env_, Path(manifest.path), &manifest.size, &manifest.checksum));
  meta->files.push_back(std::move(manifest));
  ZIGGY_RETURN_IF_ERROR(env_->SyncDir(Path(private_dir)));
  return WriteMetaFile(*meta, keep_files);
}

Status BackupEngineImpl::StoreTable(const LiveFiles& files, const LiveTable& table,
                                    BackupFile* file, std::string* copied_to) {
  const std::string source = TableFileName(files.dbname, table.number);
  file->db_name = source.substr(files.dbname.size() + 1);
  file->size = table.file_bytes;
  // Tables already stored under this name and size, and the first of them a backup of this DB
  // stored. Name and size alone decide only within one DB: another DB (restored from a backup,
  // or a checkpoint) numbers its own tables on from the same numbers; its candidates are
  // compared by checksum.
  std::vector<const BackupFile*> candidates;
  const BackupFile* same_db = nullptr;
  for (const auto& [id, meta] : backups_) {
    const bool this_db = !meta.db_identity.empty() && meta.db_identity == files.db_identity;
    for (const BackupFile& stored : meta.files) {
      if (stored.db_name != file->db_name || stored.size != file->size) continue;
      candidates.push_back(&stored);
      if (this_db && same_db == nullptr) same_db = &stored;
    }
  }
  if (same_db != nullptr && !options_.checksum_shared_tables) {
    *file = *same_db;
    return AddProgress(file->size);
  }
  if (!candidates.empty()) {
    uint64_t size = 0;
    ZIGGY_RETURN_IF_ERROR(ChecksumFile(env_, source, &size, &file->checksum));
    for (const BackupFile* stored : candidates) {
      if (stored->checksum == file->checksum && size == file->size) {
        *file = *stored;
        return AddProgress(file->size);
      }
    }
  }
  const std::string stem = file->db_name.substr(0, file->db_name.find('.'));
  const std::string temp = "shared/" + stem + std::string(kTempSuffix);
  FileChecksum checksum;
  uint64_t copied_bytes = 0;
  ZIGGY_RETURN_IF_ERROR(CopyFileUnsynced(env_, source, Path(temp), [&](std::string_view block) {
    checksum.Update(block);
    copied_bytes += block.size();
    return AddProgress(block.size());
  }));
  if (copied_bytes != file->size) {
    env_->RemoveFile(Path(temp)).PermitUncheckedError();
    return Status::Corruption("live table has " + std::to_string(copied_bytes) +
                                  " bytes, its MANIFEST says " + std::to_string(file->size),
                              source);
  }
  file->checksum = checksum.HexDigest();
  file->path = "shared/" + stem + "_" + std::to_string(file->size) + "_" + file->checksum + ".sst";
  *copied_to = temp;
  return Status::OK();
}

Status BackupEngineImpl::WriteMetaFile(const BackupMeta& meta, bool* keep_files) {
  const std::string final_path = Path(MetaPath(meta.id));
  const std::string temp_path = final_path + std::string(kTempSuffix);
  const std::string data = EncodeBackupMeta(meta);
  std::unique_ptr<WritableFile> file;
  ZIGGY_RETURN_IF_ERROR(env_->NewWritableFile(temp_path, &file));
  Status s = file->Append(data);
  if (s.ok()) s = file->Sync();
  Status closed = file->Close();
  if (s.ok()) s = closed;
  if (s.ok()) s = env_->RenameFile(temp_path, final_path);
  if (!s.ok()) {
    env_->RemoveFile(temp_path).PermitUncheckedError();
    return s;
  }
  // The backup exists once this sync is done.
  Status synced = env_->SyncDir(Path("meta"));
  if (synced.ok()) return synced;
  // The rename may reach the disk anyway: withdraw the metadata, or, if that fails too, keep
  // every file it lists (the caller then removes nothing and lists the backup, as the next Open
  // does).
  Status withdrawn = env_->RemoveFile(final_path);
  if (withdrawn.ok()) withdrawn = env_->SyncDir(Path("meta"));
  *keep_files = !withdrawn.ok();
  return synced;
}

std::vector<BackupInfo> BackupEngineImpl::GetBackupInfo() const {
  std::vector<BackupInfo> infos;
  for (const auto& [id, meta] : backups_) {
    BackupInfo info{};
    info.id = id;
    info.timestamp_seconds = meta.timestamp_seconds;
    info.sequence = meta.sequence;
    for (const BackupFile& file : meta.files)
      info.size_bytes += file.size;
    info.file_count = static_cast<uint32_t>(meta.files.size());
    infos.push_back(info);
  }
  return infos;
}

std::vector<uint32_t> BackupEngineImpl::GetCorruptedBackups() const {
  return {unreadable_ids_.begin(), unreadable_ids_.end()};
}

Status BackupEngineImpl::DeleteBackup(uint32_t id) {
  if (options_.read_only)
    return Status::NotSupported("the backup engine was opened read-only", dir_);
  if (!backups_.contains(id) && !unreadable_ids_.contains(id)) {
    return Status::NotFound("no backup " + std::to_string(id), dir_);
  }
  // Gone from the list once its metadata is; the files follow (or the next Open removes them).
  ZIGGY_RETURN_IF_ERROR(env_->RemoveFile(Path(MetaPath(id))));
  backups_.erase(id);
  unreadable_ids_.erase(id);
  ZIGGY_RETURN_IF_ERROR(env_->SyncDir(Path("meta")));
  return CollectGarbage();
}

Status BackupEngineImpl::PurgeOldBackups(uint32_t keep) {
  if (options_.read_only)
    return Status::NotSupported("the backup engine was opened read-only", dir_);
  bool removed_any = false;
  while (backups_.size() > keep) {
    const uint32_t oldest = backups_.begin()->first;
    ZIGGY_RETURN_IF_ERROR(env_->RemoveFile(Path(MetaPath(oldest))));
    backups_.erase(oldest);
    removed_any = true;
  }
  if (!removed_any) return Status::OK();
  ZIGGY_RETURN_IF_ERROR(env_->SyncDir(Path("meta")));
  return CollectGarbage();
}

void BackupEngineImpl::StartProgress(uint64_t total_bytes) {
  progress_done_bytes_ = 0;
  progress_total_bytes_ = total_bytes;
  if (options_.progress) options_.progress(0, total_bytes);
}

Status BackupEngineImpl::AddProgress(uint64_t bytes) {
  progress_done_bytes_ += bytes;
  if (options_.progress) options_.progress(progress_done_bytes_, progress_total_bytes_);
  if (options_.stop_requested && options_.stop_requested()) {
    return Status::Busy("stopped by the caller", dir_);
  }
  return Status::OK();
}

}  // namespace ziggydb
