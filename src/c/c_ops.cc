// Operations on whole DBs in the C API (include/ziggydb/c.h): repair, checkpoints, backups.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "c/c_handles.h"
#include "ziggydb/backup.h"
#include "ziggydb/db.h"

using ziggydb::c_api::Guard;
using ziggydb::c_api::SaveError;

struct ziggydb_backup_engine_t {
  std::unique_ptr<ziggydb::BackupEngine> engine;
};

struct ziggydb_backup_info_t {
  std::vector<ziggydb::BackupInfo> backups;
};

namespace {

void Restore(ziggydb_backup_engine_t* engine, uint32_t id, const char* db_dir,
             std::optional<uint64_t> sequence, uint8_t overwrite, char** errptr) {
  Guard(errptr, [&] {
    ziggydb::RestoreOptions options;
    options.to_sequence = sequence;
    options.overwrite = overwrite != 0;
    SaveError(errptr, engine->engine->RestoreDBFromBackup(id, db_dir, options));
  });
}

}  // namespace

extern "C" {

void ziggydb_repair_db(const ziggydb_options_t* options, const char* name, char** errptr) {
  Guard(errptr, [&] { SaveError(errptr, ziggydb::RepairDB(name, options->options)); });
}

void ziggydb_checkpoint_create(ziggydb_t* db, const char* dir, char** errptr) {
  Guard(errptr, [&] { SaveError(errptr, db->db->CreateCheckpoint(dir)); });
}

ziggydb_backup_engine_t* ziggydb_backup_engine_open(const char* backup_dir, char** errptr) {
  ziggydb_backup_engine_t* result = nullptr;
  Guard(errptr, [&] {
    auto handle = std::make_unique<ziggydb_backup_engine_t>();
    if (SaveError(errptr, ziggydb::BackupEngine::Open(backup_dir, ziggydb::BackupEngineOptions(),
                                                      &handle->engine))) {
      result = handle.release();
    }
  });
  return result;
}

void ziggydb_backup_engine_close(ziggydb_backup_engine_t* engine) {
  delete engine;
}

uint32_t ziggydb_backup_engine_create_new_backup(ziggydb_backup_engine_t* engine, ziggydb_t* db,
                                                 uint8_t flush_first, char** errptr) {
  uint32_t id = 0;
  Guard(errptr, [&] {
    if (!SaveError(errptr, engine->engine->CreateNewBackup(db->db.get(), flush_first != 0, &id))) {
      id = 0;
    }
  });
  return id;
}

void ziggydb_backup_engine_verify_backup(ziggydb_backup_engine_t* engine, uint32_t id,
                                         char** errptr) {
  Guard(errptr, [&] { SaveError(errptr, engine->engine->VerifyBackup(id)); });
}

void ziggydb_backup_engine_restore_db_from_backup(ziggydb_backup_engine_t* engine, uint32_t id,
                                                  const char* db_dir, uint8_t overwrite,
                                                  char** errptr) {
  Restore(engine, id, db_dir, std::nullopt, overwrite, errptr);
}

void ziggydb_backup_engine_restore_db_to_sequence(ziggydb_backup_engine_t* engine, uint32_t id,
                                                  const char* db_dir, uint64_t sequence,
                                                  uint8_t overwrite, char** errptr) {
  Restore(engine, id, db_dir, sequence, overwrite, errptr);
}

void ziggydb_backup_engine_delete_backup(ziggydb_backup_engine_t* engine, uint32_t id,
                                         char** errptr) {
  Guard(errptr, [&] { SaveError(errptr, engine->engine->DeleteBackup(id)); });
}

void ziggydb_backup_engine_purge_old_backups(ziggydb_backup_engine_t* engine, uint32_t keep,
                                             char** errptr) {
  Guard(errptr, [&] { SaveError(errptr, engine->engine->PurgeOldBackups(keep)); });
}

ziggydb_backup_info_t* ziggydb_backup_engine_get_backup_info(ziggydb_backup_engine_t* engine) {
  try {
    auto info = std::make_unique<ziggydb_backup_info_t>();
    info->backups = engine->engine->GetBackupInfo();
    return info.release();
  } catch (...) {
    return nullptr;
  }
}

uint32_t* ziggydb_backup_engine_get_corrupted_backups(ziggydb_backup_engine_t* engine,
                                                      size_t* count, char** errptr) {
  *count = 0;
  uint32_t* result = nullptr;
  Guard(errptr, [&] {
    const std::vector<uint32_t> ids = engine->engine->GetCorruptedBackups();
    if (ids.empty()) return;
    result = static_cast<uint32_t*>(std::malloc(ids.size() * sizeof(uint32_t)));
    if (result == nullptr) throw std::bad_alloc();
    std::copy(ids.begin(), ids.end(), result);
    *count = ids.size();
  });
  return result;
}

int ziggydb_backup_info_count(const ziggydb_backup_info_t* info) {
  return static_cast<int>(info->backups.size());
}
uint32_t ziggydb_backup_info_id(const ziggydb_backup_info_t* info, int index) {
  return info->backups[static_cast<size_t>(index)].id;
}
int64_t ziggydb_backup_info_timestamp(const ziggydb_backup_info_t* info, int index) {
  return info->backups[static_cast<size_t>(index)].timestamp_seconds;
}
uint64_t ziggydb_backup_info_sequence(const ziggydb_backup_info_t* info, int index) {
  return info->backups[static_cast<size_t>(index)].sequence;
}
uint64_t ziggydb_backup_info_size(const ziggydb_backup_info_t* info, int index) {
  return info->backups[static_cast<size_t>(index)].size_bytes;
}
uint32_t ziggydb_backup_info_file_count(const ziggydb_backup_info_t* info, int index) {
  return info->backups[static_cast<size_t>(index)].file_count;
}
void ziggydb_backup_info_destroy(ziggydb_backup_info_t* info) {
  delete info;
}

}  // extern "C"
