// The backup windows of `ziggy stress`: for each backup the stress run made, the window of every
// key over CreateNewBackup (with flush_first), as read_window.h defines it: the key's word loaded
// before the call began, its newest delete and its word loaded after it returned. The backup is
// one read of every key over that window, so it must hold per key a state ReadIsLegal allows
// (in particular every write acked before it began: the window's floor). After a kill, the next
// run checks the latest listed backup against its saved windows, which keep the bounds of the
// backup's point even though the expected state has moved on (and its ids may be given again).
//
// File <floors_dir>/<backup id>, written to <id>.tmp and renamed into place after the backup was
// listed (a kill before the rename leaves that backup without windows: only an upper bound is
// checked then). Format (host byte order, never leaves the machine): u32 key count, then per key
// five u32: before.acked, before.pending, after.acked, after.pending, newest_delete.
#ifndef ZIGGYDB_TOOLS_STRESS_BACKUP_FLOOR_H_
#define ZIGGYDB_TOOLS_STRESS_BACKUP_FLOOR_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tools/stress/expected_state.h"
#include "tools/stress/read_window.h"
#include "ziggydb/status.h"

namespace ziggydb::tools::stress {

[[nodiscard]] Status WriteBackupFloor(const std::string& floors_dir, uint32_t id,
                                      const std::vector<ReadWindow>& windows);

// *windows is nullopt when backup `id` has no file; a file of another key count or size is
// Corruption.
[[nodiscard]] Status ReadBackupFloor(const std::string& floors_dir, uint32_t id, uint32_t keys,
                                     std::optional<std::vector<ReadWindow>>* windows);

// Marks backup `id` as checked after a kill (file <floors_dir>/<id>.checked), so that later runs
// restore only a newer one.
[[nodiscard]] Status MarkBackupChecked(const std::string& floors_dir, uint32_t id);
bool BackupChecked(const std::string& floors_dir, uint32_t id);

// The ids of the backups with a floor file, ascending: each was listed when its floor was saved.
[[nodiscard]] Status BackupFloorIds(const std::string& floors_dir, std::vector<uint32_t>* ids);

// Removes the floors and marks of backups not in `listed` (ids ascending).
[[nodiscard]] Status PruneBackupFloors(const std::string& floors_dir,
                                       const std::vector<uint32_t>& listed);

}  // namespace ziggydb::tools::stress

#endif  // ZIGGYDB_TOOLS_STRESS_BACKUP_FLOOR_H_
