// Registration of the `ziggy` subcommands. Each Register* adds its subcommands to `app`; when one
// of them runs, its callback stores the process exit code (tools::ExitCode) in *exit_code.
#ifndef ZIGGYDB_TOOLS_COMMANDS_H_
#define ZIGGYDB_TOOLS_COMMANDS_H_

#include <string>

namespace CLI {
class App;
}

namespace ziggydb::tools {

// Adds the --db option (required unless the ZIGGY_DB environment variable is set).
void AddDbOption(CLI::App* cmd, std::string* db);

void RegisterDataCommands(CLI::App* app, int* exit_code);      // put, get, del, scan
void RegisterLoadCommand(CLI::App* app, int* exit_code);       // load
void RegisterInspectCommands(CLI::App* app, int* exit_code);   // stats, dump-wal, dump-sst
void RegisterInspectDbCommand(CLI::App* app, int* exit_code);  // inspect
void RegisterVerifyCommand(CLI::App* app, int* exit_code);     // verify
void RegisterCompactCommand(CLI::App* app, int* exit_code);    // compact
void RegisterDemoCommand(CLI::App* app, int* exit_code);       // demo
void RegisterBenchCommand(CLI::App* app, int* exit_code);      // bench
// ops-backup: checkpoint; backup create|list|verify|delete|purge; restore
void RegisterCheckpointCommand(CLI::App* app, int* exit_code);
void RegisterBackupCommands(CLI::App* app, int* exit_code);

// Recovery and portability (issue 14, ops-startup).
void RegisterDumpCommands(CLI::App* app, int* exit_code);   // dump, restore-dump
void RegisterRepairCommand(CLI::App* app, int* exit_code);  // repair

// stress (tools/stress/)
void RegisterStressCommand(CLI::App* app, int* exit_code);

}  // namespace ziggydb::tools

#endif  // ZIGGYDB_TOOLS_COMMANDS_H_
