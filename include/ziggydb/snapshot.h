// Snapshot: an immutable, consistent view of the DB as of one point in the write sequence.
//
// Obtained from DB::GetSnapshot and returned with DB::ReleaseSnapshot (or held by a
// ManagedSnapshot). While a snapshot is live, compaction keeps every version it can see.
#ifndef ZIGGYDB_SNAPSHOT_H_
#define ZIGGYDB_SNAPSHOT_H_

#include <cstdint>

namespace ziggydb {

class Snapshot {
 public:
  // The sequence number of the last write visible through this snapshot.
  virtual uint64_t sequence() const = 0;

 protected:
  virtual ~Snapshot() = default;
};

}  // namespace ziggydb

#endif  // ZIGGYDB_SNAPSHOT_H_
