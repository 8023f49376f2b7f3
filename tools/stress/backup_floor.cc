#include "tools/stress/backup_floor.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

namespace ziggydb::tools::stress {

Status WriteBackupFloor(const std::string& floors_dir, uint32_t id,
                        const std::vector<WriteRecord>& acked) {
  std::error_code ec;
  std::filesystem::create_directories(floors_dir, ec);
  if (ec) return Status::IOError("create " + floors_dir, ec.message());
  const std::string path = floors_dir + "/" + std::to_string(id);
  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    const auto keys = static_cast<uint32_t>(acked.size());
    out.write(reinterpret_cast<const char*>(&keys), sizeof(keys));
    out.write(reinterpret_cast<const char*>(acked.data()),
              static_cast<std::streamsize>(acked.size() * sizeof(WriteRecord)));
    out.close();
    if (!out) return Status::IOError("write " + temp);
  }
  std::filesystem::rename(temp, path, ec);
  if (ec) return Status::IOError("rename " + temp, ec.message());
  return Status::OK();
}

Status MarkBackupChecked(const std::string& floors_dir, uint32_t id) {
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
                       std::optional<std::vector<WriteRecord>>* acked) {
  acked->reset();
  const std::string path = floors_dir + "/" + std::to_string(id);
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::OK();
  const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  uint32_t count = 0;
  if (bytes.size() >= sizeof(count)) std::memcpy(&count, bytes.data(), sizeof(count));
  if (count != keys || bytes.size() != sizeof(count) + size_t{keys} * sizeof(WriteRecord))
    return Status::Corruption("backup floor " + path, "not of this key count");
  std::vector<WriteRecord> records(keys);
  std::memcpy(records.data(), bytes.data() + sizeof(count), size_t{keys} * sizeof(WriteRecord));
  *acked = std::move(records);
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
