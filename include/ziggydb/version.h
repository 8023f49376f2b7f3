// Semantic version of the ZiggyDB library. MAJOR changes break the API; MINOR adds to it;
// PATCH fixes. On-disk formats carry their own version numbers (docs/format/).
#ifndef ZIGGYDB_VERSION_H_
#define ZIGGYDB_VERSION_H_

#define ZIGGYDB_VERSION_MAJOR 0
#define ZIGGYDB_VERSION_MINOR 1
#define ZIGGYDB_VERSION_PATCH 0

#define ZIGGYDB_VERSION_STRING "0.1.0"

#endif  // ZIGGYDB_VERSION_H_
