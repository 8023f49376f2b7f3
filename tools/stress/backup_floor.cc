#include "tools/stress/backup_floor.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>
#include <vector>

namespace ziggydb::tools::stress {

namespace {

constexpr size_t kWordsPerKey = 5;

}  // namespace

Status WriteBackupFloor(const std::string& floors_dir, uint32_t id,
                        const std::vector<ReadWindow>& windows) {
  std::error_code ec;
  std::filesystem::create_directories(floors_dir, ec);
  if (ec) return Status::IOError("create " + floors_dir, ec.message());
  const std::string path = floors_dir + "/" + std::to_string(id);
  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    const auto keys = static_cast<uint32_t>(windows.size());
    std::vector<uint32_t> words;
    words.reserve(1 + windows.size() * kWordsPerKey);
    words.push_back(keys);
    for (const ReadWindow& w : windows)
      words.insert(words.end(), {w.before.acked, w.before.pending, w.after.acked, w.after.pending,
                                 w.newest_delete});
    out.write(reinterpret_cast<const char*>(words.data()),
              static_cast<std::streamsize>(words.size() * sizeof(uint32_t)));
    out.close();
    if (!out) return Status::IOError("write " + temp);
  }
  std::filesystem::rename(temp, path, ec);
  if (ec) return Status::IOError("rename " + temp, ec.message());
  return Status::OK();
}

Status MarkBackupChecked(const std::string& floors_dir, uint32_t id) {
  // The first backup of a directory may have been killed before its windows were written, and
  // with them the directory.
  std::error_code ec;
  std::filesystem::create_directories(floors_dir, ec);
  if (ec) return Status::IOError("create " + floors_dir, ec.message());
  const std::string path = floors_dir + "/" + std::to_string(id) + ".checked";
  std::ofstream out(path, std::ios::trunc);
  out.close();
  if (!out) return Status::IOError("create " + path);
  return Status::OK();
}

bool BackupChecked(const std::string& floors_dir, uint32_t id) {
  std::error_code ec;
  return std::filesystem::exists(floors_dir + "/" + std::to_string(id) + ".checked", ec);
}

Status ReadBackupFloor(const std::string& floors_dir, uint32_t id, uint32_t keys,
                       std::optional<std::vector<ReadWindow>>* windows) {
  windows->reset();
  const std::string path = floors_dir + "/" + std::to_string(id);
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::OK();
  const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  uint32_t count = 0;
  if (bytes.size() >= sizeof(count)) std::memcpy(&count, bytes.data(), sizeof(count));
  if (count != keys ||
      bytes.size() != sizeof(count) + size_t{keys} * kWordsPerKey * sizeof(uint32_t))
    return Status::Corruption("backup floor " + path, "not of this key count or format");
  std::vector<uint32_t> words(size_t{keys} * kWordsPerKey);
  std::memcpy(words.data(), bytes.data() + sizeof(count), words.size() * sizeof(uint32_t));
  std::vector<ReadWindow> result(keys);
  for (size_t i = 0; i < keys; ++i) {
    const uint32_t* w = &words[i * kWordsPerKey];
    result[i] = ReadWindow{{w[0], w[1]}, {w[2], w[3]}, w[4]};
  }
  *windows = std::move(result);
  return Status::OK();
}

Status BackupFloorIds(const std::string& floors_dir, std::vector<uint32_t>* ids) {
  ids->clear();
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(floors_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.size() > 9 ||
        name.find_first_not_of("0123456789") != std::string::npos) {
      continue;  // a mark (<id>.checked) or a floor being written (<id>.tmp)
    }
    ids->push_back(static_cast<uint32_t>(std::stoul(name)));
  }
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return Status::IOError("list " + floors_dir, ec.message());
  }
  std::sort(ids->begin(), ids->end());
  return Status::OK();
}

Status PruneBackupFloors(const std::string& floors_dir, const std::vector<uint32_t>& listed) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(floors_dir, ec)) {
    const std::string name = entry.path().filename().string();
    const std::string id_part = name.substr(0, name.find('.'));
    uint32_t id = 0;
    const bool is_ours = !id_part.empty() && id_part.size() <= 9 &&
                         id_part.find_first_not_of("0123456789") == std::string::npos;
    if (is_ours) id = static_cast<uint32_t>(std::stoul(id_part));
    if (is_ours && std::binary_search(listed.begin(), listed.end(), id)) continue;
    std::filesystem::remove(entry.path(), ec);
    if (ec) return Status::IOError("remove " + entry.path().string(), ec.message());
  }
  if (ec) return Status::IOError("list " + floors_dir, ec.message());
  return Status::OK();
}

}  // namespace ziggydb::tools::stress
