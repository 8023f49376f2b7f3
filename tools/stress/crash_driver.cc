#include "tools/stress/crash_driver.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/core.h>

#include "env/kill_point.h"
#include "tools/cli_util.h"
#include "util/random.h"

namespace ziggydb::tools::stress {
namespace {

using Clock = std::chrono::steady_clock;

// Markers of a sanitizer report (ASan, LSan, UBSan, TSan) in a child's stderr.
constexpr const char* kSanitizerMarkers[] = {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                                             "runtime error:", "WARNING: ThreadSanitizer"};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Starts this binary as `ziggy stress` with `params`, stdout and stderr into log_path, with
// ZIGGY_KILL_POINT set to `kill_point` (unset when empty).
pid_t StartChild(const RunParams& params, const std::string& log_path,
                 const std::string& kill_point = {}) {
  std::vector<std::string> args = {"ziggy",
                                   "stress",
                                   "--dir",
                                   params.dir,
                                   "--seed",
                                   std::to_string(params.seed),
                                   "--threads",
                                   std::to_string(params.threads),
                                   "--keys",
                                   std::to_string(params.keys),
                                   "--seconds",
                                   params.verify_only ? "1" : "0",
                                   "--txn-permille",
                                   std::to_string(params.txn_permille),
                                   "--checkpoint-permille",
                                   std::to_string(params.checkpoint_permille),
                                   "--backup-permille",
                                   std::to_string(params.backup_permille)};
  if (params.verify_only) args.push_back("--verify-only");
  std::vector<char*> argv;
  for (std::string& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  // The environment is built before fork: the child only execs.
  std::string armed = "ZIGGY_KILL_POINT=" + kill_point;
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "ZIGGY_KILL_POINT=", 17) != 0) envp.push_back(*e);
  }
  if (!kill_point.empty()) envp.push_back(armed.data());
  envp.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
    }
    ::execve("/proc/self/exe", argv.data(), envp.data());
    _exit(127);
  }
  return pid;
}

// Checks the child's log for sanitizer reports and for a failure the child found (a mismatch it
// printed before the kill reached it: it goes on until its workers end their steps); prints the
// log and returns false on one.
bool LogIsClean(const std::string& log_path, uint64_t round, uint64_t seed) {
  const std::string log = ReadFile(log_path);
  if (log.find("; repeat with: ") != std::string::npos) {  // StressRun's failure line
    PrintToStderr("ziggy stress --crash: round {} (child seed {}): the child failed:\n{}\n", round,
                  seed, log);
    return false;
  }
  for (const char* marker : kSanitizerMarkers) {
    if (log.find(marker) != std::string::npos) {
      PrintToStderr("ziggy stress --crash: round {} (child seed {}): sanitizer report:\n{}\n",
                    round, seed, log);
      return false;
    }
  }
  return true;
}

// A run of at least this many kills, with --kill-max-ms at least this, must have one child that
// finished its recovery and verification before its kill.
constexpr uint64_t kMinKillsForProgressCheck = 20;
constexpr uint64_t kMinKillMsForProgressCheck = 1000;
// The final verify (recovery, then every key) must end within this.
constexpr std::chrono::seconds kFinalVerifySeconds{600};

std::string DescribeExit(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with code {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("died of signal {}", WTERMSIG(status));
  return "stopped";
}

}  // namespace

int RunCrashRounds(const CrashParams& params) {
  if (params.whitebox && !KillPointsCompiledIn()) {
    PrintToStderr(
        "ziggy stress --crash: --whitebox needs a build with kill points (cmake "
        "-DZIGGY_KILL_POINTS=ON)\n");
    return ToInt(ExitCode::kUsage);
  }
  Random rng(params.run.seed);
  const std::string log_path = params.run.dir + "/child.log";
  const auto start = Clock::now();
  PrintToStderr(
      "ziggy stress --crash: --dir {} --seed {} --threads {} --keys {} --rounds {} "
      "--kill-max-ms {}\n",
      params.run.dir, params.run.seed, params.run.threads, params.run.keys, params.rounds,
      params.kill_max_ms);
  {
    // The children write their logs into the directory; it must exist before the first fork.
    RunParams probe = params.run;
    probe.verify_only = true;
    const int code = RunStress(probe);
    if (code != ToInt(ExitCode::kOk)) return code;
  }
  uint64_t kills = 0;
  uint64_t kills_while_working = 0;  // the others hit Open's recovery or the verification
  uint64_t kills_at_points = 0;      // whitebox children that killed themselves at their point
  for (uint64_t round = 0; round < params.rounds; ++round) {
    if (params.budget_seconds > 0 &&
        std::chrono::duration<double>(Clock::now() - start).count() >= params.budget_seconds)
      break;
    RunParams child = params.run;
    child.seed = rng.Next64() >> 1;
    std::string kill_point;
    if (params.whitebox) {
      // Early passes of each point are the ones recovery and the first writes reach.
      const std::string_view name = kKillPointNames[rng.Uniform(std::size(kKillPointNames))];
      kill_point = fmt::format("{}@{}", name, 1 + rng.Uniform(rng.OneIn(2) ? 4 : 200));
    }
    const pid_t pid = StartChild(child, log_path, kill_point);
    if (pid < 0) {
      PrintToStderr("ziggy stress --crash: fork failed\n");
      return ToInt(ExitCode::kError);
    }
    // Most kills land early (in Open's recovery, the verification or the first operations), one
    // in four anywhere up to kill_max_ms (after epochs of work and reopens too).
    // An armed child gets the whole kill_max_ms to reach its point.
    const uint64_t kill_ms =
        params.whitebox
            ? params.kill_max_ms
            : rng.Uniform((rng.OneIn(4) ? params.kill_max_ms : params.kill_max_ms / 10) + 1);
    const auto kill_at = Clock::now() + std::chrono::milliseconds(kill_ms);
    int status = 0;
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    while (done == 0 && Clock::now() < kill_at) {
      std::this_thread::sleep_for(std::chrono::milliseconds(params.whitebox ? 2 : kill_ms));
      done = ::waitpid(pid, &status, WNOHANG);
    }
    const bool died_by_itself = done == pid;
    if (done == 0) {
      ::kill(pid, SIGKILL);
      done = ::waitpid(pid, &status, 0);
    }
    // Without an armed kill point only this driver kills the child: a SIGKILL from elsewhere (the
    // OOM killer) is a failure too.
    if (done != pid || !WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL ||
        (died_by_itself && kill_point.empty())) {
      PrintToStderr(
          "ziggy stress --crash: round {}: the child {} before its kill; repeat with: "
          "{}{}\n--- child output ---\n{}\n",
          round, DescribeExit(status),
          kill_point.empty() ? "" : "ZIGGY_KILL_POINT=" + kill_point + " ", RunCommandLine(child),
          ReadFile(log_path));
      return ToInt(ExitCode::kCorruption);
    }
    if (!LogIsClean(log_path, round, child.seed)) return ToInt(ExitCode::kCorruption);
    ++kills;
    if (died_by_itself) ++kills_at_points;
    if (ReadFile(log_path).find("workers starting") != std::string::npos) ++kills_while_working;
  }
  // One kill in four lands anywhere up to kill_max_ms: with that long enough for a recovery and
  // verification, a run in which no child ever got through them had them hang, and verified
  // nothing. (Whitebox children may die at their points in recovery every time.)
  if (!params.whitebox && params.kill_max_ms >= kMinKillMsForProgressCheck &&
      kills >= kMinKillsForProgressCheck && kills_while_working == 0) {
    PrintToStderr(
        "ziggy stress --crash: none of {} children finished its recovery and verification "
        "before its kill (a hang?)\n--- last child output ---\n{}\n",
        kills, ReadFile(log_path));
    return ToInt(ExitCode::kCorruption);
  }
  RunParams last = params.run;
  last.verify_only = true;
  last.seed = rng.Next64() >> 1;
  const pid_t pid = StartChild(last, log_path);
  if (pid < 0) {
    PrintToStderr("ziggy stress --crash: fork failed for the final verify\n");
    return ToInt(ExitCode::kError);
  }
  int status = 0;
  pid_t done = ::waitpid(pid, &status, WNOHANG);
  const auto verify_deadline = Clock::now() + kFinalVerifySeconds;
  while (done == 0 && Clock::now() < verify_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    done = ::waitpid(pid, &status, WNOHANG);
  }
  if (done == 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    PrintToStderr("ziggy stress --crash: the final verify did not end in {} s (a hang?):\n{}\n",
                  kFinalVerifySeconds.count(), ReadFile(log_path));
    return ToInt(ExitCode::kCorruption);
  }
  if (done != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
      !LogIsClean(log_path, kills, last.seed)) {
    PrintToStderr("ziggy stress --crash: final verify {}:\n{}\n", DescribeExit(status),
                  ReadFile(log_path));
    return ToInt(ExitCode::kCorruption);
  }
  PrintToStderr(
      "ziggy stress --crash: ok: {} kills in {:.1f} s ({} while the workers ran, after "
      "the child's recovery and verification, the others in them; {} at kill points), "
      "and the final verify\n",
      kills, std::chrono::duration<double>(Clock::now() - start).count(), kills_while_working,
      kills_at_points);
  return ToInt(ExitCode::kOk);
}

}  // namespace ziggydb::tools::stress
