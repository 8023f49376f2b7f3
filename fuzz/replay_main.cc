// Stand-alone driver for a libFuzzer target in builds without libFuzzer (gcc, the asan and
// release presets), so that ctest exercises every decoder on every run.
//
//   <target> [-runs=N] [-seed=S] [-max_len=BYTES] PATH...
//
// Feeds LLVMFuzzerTestOneInput the empty input, then every file under each PATH (a file or a
// directory, walked recursively in sorted order), then N generated inputs (default 4096 times
// $ZIGGY_TEST_SCALE): a quarter fresh pseudo-random bytes, the rest mutations of corpus files.
// Generation is deterministic: the seed is -seed, else $ZIGGY_TEST_SEED, else a fixed default.
// Other -flags (libFuzzer's) are ignored, so a crash file replays with the same command line in
// both builds. If an input crashes the target (assertion, signal or sanitizer report), its bytes
// are written to ./crash-replay-<target> first, ready to become a corpus regression file.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/random.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);
// Provided by the sanitizer runtimes when linked in; lets us dump the input before they exit.
extern "C" __attribute__((weak)) void __sanitizer_set_death_callback(void (*callback)(void));

namespace {

constexpr uint64_t kDefaultSeed = 0x5eed;
constexpr uint64_t kDefaultGeneratedInputs = 4096;
constexpr size_t kDefaultMaxLenBytes = 4096;
constexpr int kMaxMutationsPerInput = 4;

// The input being run, for the crash handlers. Written only between runs by the main thread.
const uint8_t* g_current_data = nullptr;
size_t g_current_size = 0;
char g_crash_path[4096];

// Async-signal-safe: open/write/close only.
void DumpCurrentInput() {
  if (g_current_data == nullptr) return;
  const int fd = ::open(g_crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return;
  size_t written = 0;
  while (written < g_current_size) {
    const ssize_t n = ::write(fd, g_current_data + written, g_current_size - written);
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  ::close(fd);
  constexpr char kNote[] = "replay: crashing input written to ";
  (void)!::write(STDERR_FILENO, kNote, sizeof(kNote) - 1);
  (void)!::write(STDERR_FILENO, g_crash_path, std::strlen(g_crash_path));
  (void)!::write(STDERR_FILENO, "\n", 1);
}

void OnFatalSignal(int signal_number) {
  DumpCurrentInput();
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

void InstallCrashHandlers(std::string_view program) {
  const std::string name = std::filesystem::path(program).filename().string();
  std::snprintf(g_crash_path, sizeof(g_crash_path), "crash-replay-%s", name.c_str());
  for (int s : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL})
    std::signal(s, OnFatalSignal);
  if (__sanitizer_set_death_callback != nullptr) __sanitizer_set_death_callback(DumpCurrentInput);
}

void RunOne(const std::string& input) {
  // An allocation of exactly the input's size, so that ASan flags any read past its end.
  auto copy = std::make_unique<uint8_t[]>(input.size());
  std::memcpy(copy.get(), input.data(), input.size());
  g_current_data = copy.get();
  g_current_size = input.size();
  LLVMFuzzerTestOneInput(copy.get(), input.size());
  g_current_data = nullptr;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
    std::exit(2);
  }
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<std::filesystem::path> CollectFiles(const std::vector<std::string>& paths) {
  std::vector<std::filesystem::path> files;
  for (const std::string& path : paths) {
    if (std::filesystem::is_directory(path)) {
      std::vector<std::filesystem::path> found;
      for (const auto& entry : std::filesystem::recursive_directory_iterator(path)) {
        if (entry.is_regular_file()) found.push_back(entry.path());
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (std::filesystem::is_regular_file(path)) {
      files.emplace_back(path);
    } else {
      std::fprintf(stderr, "replay: no such file or directory: %s\n", path.c_str());
      std::exit(2);
    }
  }
  return files;
}

// One random edit of `s`, which may grow it up to max_len_bytes.
void Mutate(ziggydb::Random* rnd, const std::vector<std::string>& corpus, size_t max_len_bytes,
            std::string* s) {
  static constexpr uint8_t kInteresting[] = {0x00, 0x01, 0x7f, 0x80, 0x81, 0xfe, 0xff};
  const size_t size = s->size();
  switch (rnd->Uniform(7)) {
    case 0:  // flip one bit
      if (size > 0) (*s)[rnd->Uniform(size)] ^= static_cast<char>(1u << rnd->Uniform(8));
      break;
    case 1:  // overwrite a byte with a boundary value
      if (size > 0) {
        (*s)[rnd->Uniform(size)] =
            static_cast<char>(kInteresting[rnd->Uniform(std::size(kInteresting))]);
      }
      break;
    case 2:  // insert random bytes
      s->insert(rnd->Uniform(size + 1), rnd->Bytes(1 + rnd->Skewed(4)));
      break;
    case 3:  // erase a range
      if (size > 0) {
        const size_t pos = rnd->Uniform(size);
        s->erase(pos, 1 + rnd->Uniform(size - pos));
      }
      break;
    case 4:  // truncate
      s->resize(rnd->Uniform(size + 1));
      break;
    case 5:  // duplicate a range in place
      if (size > 0) {
        const size_t pos = rnd->Uniform(size);
        s->insert(pos, s->substr(pos, 1 + rnd->Uniform(size - pos)));
      }
      break;
    default:  // splice: a prefix of this input, then a suffix of another corpus input
      if (!corpus.empty()) {
        const std::string& other = corpus[rnd->Uniform(corpus.size())];
        s->resize(rnd->Uniform(size + 1));
        s->append(other, rnd->Uniform(other.size() + 1));
      }
      break;
  }
  if (s->size() > max_len_bytes) s->resize(max_len_bytes);
}

uint64_t EnvNumber(const char* name, uint64_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::strtoull(value, nullptr, 10) : fallback;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  uint64_t seed = EnvNumber("ZIGGY_TEST_SEED", kDefaultSeed);
  uint64_t runs = kDefaultGeneratedInputs * std::max<uint64_t>(1, EnvNumber("ZIGGY_TEST_SCALE", 1));
  size_t max_len_bytes = kDefaultMaxLenBytes;
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with("-runs=")) {
      runs = std::strtoull(argv[i] + 6, nullptr, 10);
    } else if (arg.starts_with("-seed=")) {
      seed = std::strtoull(argv[i] + 6, nullptr, 10);
    } else if (arg.starts_with("-max_len=")) {
      max_len_bytes = std::strtoull(argv[i] + 9, nullptr, 10);
    } else if (!arg.starts_with("-")) {
      paths.emplace_back(arg);
    }
  }
  InstallCrashHandlers(argv[0]);

  RunOne(std::string());
  std::vector<std::string> corpus;
  for (const auto& file : CollectFiles(paths)) {
    corpus.push_back(ReadFile(file));
    RunOne(corpus.back());
  }

  ziggydb::Random rnd(seed);
  for (uint64_t i = 0; i < runs; ++i) {
    std::string input;
    if (corpus.empty() || rnd.OneIn(4)) {
      input = rnd.Bytes(std::min<size_t>(rnd.Skewed(12), max_len_bytes));
    } else {
      input = corpus[rnd.Uniform(corpus.size())];
      const int mutations = 1 + static_cast<int>(rnd.Uniform(kMaxMutationsPerInput));
      for (int m = 0; m < mutations; ++m)
        Mutate(&rnd, corpus, max_len_bytes, &input);
    }
    RunOne(input);
  }
  std::printf(
      "replay: %s: ok: empty input, %zu corpus files, %llu generated inputs (seed %llu;"
      " vary with ZIGGY_TEST_SEED, scale with ZIGGY_TEST_SCALE)\n",
      argv[0], corpus.size(), static_cast<unsigned long long>(runs),
      static_cast<unsigned long long>(seed));
  return 0;
}
