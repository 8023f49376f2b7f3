// The backup floors of `ziggy stress`: for each backup the stress run made, the acknowledged write
// of every key when CreateNewBackup (with flush_first) began. The backup must hold, per key, that
// write or a newer one; after a kill the next run checks the latest listed backup against its
// floor (and against the expected state for the newest write allowed).
//
// File <floors_dir>/<backup id>, written to <id>.tmp and renamed into place after the backup was
// listed (a kill before the rename leaves that backup without a floor: only the upper bound is
// checked then). Format (host byte order, never leaves the machine): u32 key count, then one u32
// WriteRecord per key.
#ifndef ZIGGYDB_TOOLS_STRESS_BACKUP_FLOOR_H_
#define ZIGGYDB_TOOLS_STRESS_BACKUP_FLOOR_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tools/stress/expected_state.h"
#include "ziggydb/status.h"

namespace ziggydb::tools::stress {

[[nodiscard]] Status WriteBackupFloor(const std::string& floors_dir, uint32_t id,
                                      const std::vector<WriteRecord>& acked);

// *acked is nullopt when backup `id` has no floor; a floor of another key count or size is
// Corruption.
[[nodiscard]] Status ReadBackupFloor(const std::string& floors_dir, uint32_t id, uint32_t keys,
                                     std::optional<std::vector<WriteRecord>>* acked);

// Marks backup `id` as checked after a kill (file <floors_dir>/<id>.checked), so that later runs
// restore only a newer one.
[[nodiscard]] Status MarkBackupChecked(const std::string& floors_dir, uint32_t id);
bool BackupChecked(const std::string& floors_dir, uint32_t id);

// Removes the floors and marks of backups not in `listed` (ids ascending).
[[nodiscard]] Status PruneBackupFloors(const std::string& floors_dir,
                                       const std::vector<uint32_t>& listed);

}  // namespace ziggydb::tools::stress

#endif  // ZIGGYDB_TOOLS_STRESS_BACKUP_FLOOR_H_
