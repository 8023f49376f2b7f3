// ziggy: command-line front end to ZiggyDB (docs/cli.md).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include "tools/cli_util.h"
#include "tools/commands.h"
#include "tools/wal_archive_options.h"
#include "ziggydb/version.h"

namespace {

// CLI11 reports an unknown first word as "A subcommand is required"; name it instead and list the
// commands. Only a first word that is not an option can be a command: the top level has no option
// that takes a value.
bool IsUnknownCommand(const CLI::App& app, int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') return false;
  const std::string word = argv[1];
  for (const CLI::App* command : app.get_subcommands({}))
    if (command->check_name(word)) return false;
  ziggydb::tools::PrintToStderr("ziggy: unknown command '{}'. The commands are:\n", word);
  for (const CLI::App* command : app.get_subcommands({}))
    ziggydb::tools::PrintToStderr("  {:<14} {}\n", command->get_name(), command->get_description());
  ziggydb::tools::PrintToStderr("Run 'ziggy COMMAND --help' for a command's options.\n");
  return true;
}

// A standard descriptor the caller closed (`>&-`, `2>&-`) is opened again, or the next file opened
// would take its number and a DB file would receive what the program prints. stdin and stderr
// go to /dev/null (a closed stderr is a wish for silence); stdout to /dev/full, so that output
// the caller cannot receive fails the command (exit 4) rather than vanish.
void OpenClosedStandardDescriptors() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    const int opened =
        fd == 0 ? open("/dev/null", O_RDONLY) : open(fd == 1 ? "/dev/full" : "/dev/null", O_WRONLY);
    if (opened != fd && opened >= 0) close(opened);  // cannot happen: the lowest free number
  }
}

// Output a command printed but the C library still buffers: written now, so that a full disk or
// a closed pipe makes the exit code an error rather than a silently short file.
bool FlushStdout() {
  if (std::fflush(stdout) == 0 && !std::ferror(stdout)) return true;
  std::fprintf(stderr, "ziggy: cannot write the output: %s\n", std::strerror(errno));
  return false;
}

// The exit code of --help or --version: 0 only if the text reached stdout (CLI11 prints it to
// std::cout, which writes through the C library's stdout).
int PrintedOrError(int exit_code) {
  std::cout.flush();
  if (!FlushStdout() || std::cout.fail()) return ToInt(ziggydb::tools::ExitCode::kError);
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  using ziggydb::tools::ExitCode;
  OpenClosedStandardDescriptors();
  // A reader that went away (`ziggy scan | head`) makes the write fail with EPIPE rather than
  // kill the process, so the command reports it (exit 4) and removes what it created (a dump's
  // temporary file, a new DB) as after any failed write.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"ziggy: inspect, load and benchmark ZiggyDB databases", "ziggy"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "ziggy (ZiggyDB) " ZIGGYDB_VERSION_STRING);
  int exit_code = ToInt(ExitCode::kOk);
  ziggydb::tools::RegisterDataCommands(&app, &exit_code);
  ziggydb::tools::RegisterLoadCommand(&app, &exit_code);
  ziggydb::tools::RegisterInspectCommands(&app, &exit_code);
  ziggydb::tools::RegisterInspectDbCommand(&app, &exit_code);
  ziggydb::tools::RegisterVerifyCommand(&app, &exit_code);
  ziggydb::tools::RegisterCompactCommand(&app, &exit_code);
  ziggydb::tools::RegisterDemoCommand(&app, &exit_code);
  ziggydb::tools::RegisterBenchCommand(&app, &exit_code);
  ziggydb::tools::RegisterDumpCommands(&app, &exit_code);
  ziggydb::tools::RegisterRepairCommand(&app, &exit_code);
  ziggydb::tools::RegisterCheckpointCommand(&app, &exit_code);
  ziggydb::tools::RegisterBackupCommands(&app, &exit_code);
  ziggydb::tools::RegisterStressCommand(&app, &exit_code);  // tools/stress/
  // ops14: --wal-archive-* on the commands that write (after they are registered).
  ziggydb::tools::AddWalArchiveOptions(&app);
  if (IsUnknownCommand(app, argc, argv)) return ToInt(ExitCode::kUsage);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return PrintedOrError(app.exit(e));
  } catch (const CLI::CallForAllHelp& e) {
    return PrintedOrError(app.exit(e));
  } catch (const CLI::CallForVersion& e) {
    return PrintedOrError(app.exit(e));
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return ToInt(ExitCode::kUsage);
  } catch (const std::exception& e) {
    // Nothing below throws on purpose; this keeps an unexpected failure (e.g. bad_alloc, or a
    // message that could not be written to stderr) an exit code rather than an abort. Not
    // fmt::print: it throws when stderr cannot be written.
    std::fprintf(stderr, "ziggy: %s\n", e.what());
    return ToInt(ExitCode::kError);
  }
  if (!FlushStdout() && exit_code == ToInt(ExitCode::kOk)) return ToInt(ExitCode::kError);
  return exit_code;
}
