// The log-archive options of the commands that write a DB (docs/cli.md, "Log archive"):
//   --wal-archive-dir DIR              Options::wal_archive_dir
//   --wal-archive-max-mib N            Options::wal_archive_max_bytes (N MiB)
//   --wal-archive-max-age-seconds S    Options::wal_archive_max_age_seconds
// A process runs one command, so the values given are held once for the process: OpenDb applies
// them to the Options it opens the DB with.
#ifndef ZIGGYDB_TOOLS_WAL_ARCHIVE_OPTIONS_H_
#define ZIGGYDB_TOOLS_WAL_ARCHIVE_OPTIONS_H_

namespace CLI {
class App;
}

namespace ziggydb {
struct Options;
}

namespace ziggydb::tools {

// Adds the options to every command of `app` that writes a DB: put, del, load, compact,
// restore-dump, checkpoint and backup create (call after registering them all).
void AddWalArchiveOptions(CLI::App* app);

// Sets the archive fields of *options from the options given (unchanged when none was).
void ApplyWalArchiveOptions(Options* options);

}  // namespace ziggydb::tools

#endif  // ZIGGYDB_TOOLS_WAL_ARCHIVE_OPTIONS_H_
