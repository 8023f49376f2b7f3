#include "tools/bench/ycsb_spec.h"

#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/core.h>

namespace ziggydb::bench {
namespace {

std::string_view Trim(std::string_view s) {
  const size_t begin = s.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return {};
  const size_t end = s.find_last_not_of(" \t\r");
  return s.substr(begin, end - begin + 1);
}

// Whole-string integer in [min, max].
bool ParseUint(std::string_view text, uint64_t min, uint64_t max, uint64_t* out) {
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return false;
  if (value < min || value > max) return false;
  *out = value;
  return true;
}

bool ParseProportion(std::string_view text, double* out) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return false;
  if (!(value >= 0 && value <= 1)) return false;
  *out = value;
  return true;
}

constexpr std::string_view kKnownKeys =
    "recordcount, operationcount, readproportion, updateproportion, insertproportion, "
    "scanproportion, readmodifywriteproportion, requestdistribution, maxscanlength, "
    "scanlengthdistribution, fieldcount, fieldlength, threadcount, insertorder, workload, "
    "readallfields, writeallfields";

// Applies one key; an error message (without the location) when the key or value is bad.
std::string ApplyProperty(std::string_view key, std::string_view value, YcsbSpec* spec) {
  const std::string bad = fmt::format("bad value '{}' for {}", value, key);
  uint64_t n = 0;
  auto proportion = [&](YcsbOp op) {
    return ParseProportion(value, &spec->proportions[static_cast<size_t>(op)])
               ? std::string()
               : bad + " (want a number in [0, 1])";
  };
  auto integer = [&](uint64_t min, uint64_t max, auto* field) {
    if (!ParseUint(value, min, max, &n))
      return fmt::format("{} (want an integer in [{}, {}])", bad, min, max);
    *field = static_cast<std::remove_pointer_t<decltype(field)>>(n);
    return std::string();
  };
  if (key == "recordcount") return integer(1, uint64_t{1} << 40, &spec->record_count);
  if (key == "operationcount") return integer(0, uint64_t{1} << 40, &spec->operation_count);
  if (key == "readproportion") return proportion(YcsbOp::kRead);
  if (key == "updateproportion") return proportion(YcsbOp::kUpdate);
  if (key == "insertproportion") return proportion(YcsbOp::kInsert);
  if (key == "scanproportion") return proportion(YcsbOp::kScan);
  if (key == "readmodifywriteproportion") return proportion(YcsbOp::kReadModifyWrite);
  if (key == "maxscanlength") return integer(1, kMaxScanLengthMax, &spec->max_scan_length);
  if (key == "fieldcount") return integer(1, 1024, &spec->field_count);
  if (key == "fieldlength") return integer(1, kValueBytesMax, &spec->field_length);
  if (key == "threadcount") return integer(1, 1024, &spec->thread_count);
  if (key == "requestdistribution") {
    return ParseDistribution(value, &spec->request_distribution)
               ? std::string()
               : bad + " (want uniform, zipfian or latest)";
  }
  if (key == "scanlengthdistribution") {
    if (value != "uniform" && value != "zipfian") return bad + " (want uniform or zipfian)";
    spec->scan_length_zipfian = value == "zipfian";
    return {};
  }
  if (key == "insertorder") {
    if (value != "hashed" && value != "ordered") return bad + " (want hashed or ordered)";
    spec->hashed_keys = value == "hashed";
    return {};
  }
  if (key == "workload") {
    return value.ends_with("CoreWorkload") ? std::string() : bad + " (only CoreWorkload)";
  }
  if (key == "readallfields" || key == "writeallfields") {
    return value == "true" ? std::string() : bad + " (records are read and written whole)";
  }
  return fmt::format("unknown key '{}' (known: {})", key, kKnownKeys);
}

YcsbSpec Builtin(std::string name, std::array<double, kYcsbOpCount> proportions,
                 RequestDistribution distribution) {
  YcsbSpec spec;
  spec.name = std::move(name);
  spec.proportions = proportions;
  spec.request_distribution = distribution;
  spec.max_scan_length = 100;
  return spec;
}

}  // namespace

std::string_view YcsbOpName(YcsbOp op) {
  switch (op) {
    case YcsbOp::kRead:
      return "read";
    case YcsbOp::kUpdate:
      return "update";
    case YcsbOp::kInsert:
      return "insert";
    case YcsbOp::kScan:
      return "scan";
    case YcsbOp::kReadModifyWrite:
      return "rmw";
  }
  return "?";
}

std::string_view DistributionName(RequestDistribution d) {
  switch (d) {
    case RequestDistribution::kUniform:
      return "uniform";
    case RequestDistribution::kZipfian:
      return "zipfian";
    case RequestDistribution::kLatest:
      return "latest";
  }
  return "?";
}

bool ParseDistribution(std::string_view name, RequestDistribution* out) {
  for (RequestDistribution d : {RequestDistribution::kUniform, RequestDistribution::kZipfian,
                                RequestDistribution::kLatest}) {
    if (name == DistributionName(d)) {
      *out = d;
      return true;
    }
  }
  return false;
}

Status YcsbSpec::Normalize() {
  double sum = 0;
  for (double p : proportions) {
    if (!(p >= 0 && p <= 1)) return Status::InvalidArgument("proportion outside [0, 1]");
    sum += p;
  }
  if (sum <= 0) return Status::InvalidArgument(name + ": every operation proportion is 0");
  for (double& p : proportions)
    p /= sum;
  if (record_count == 0) return Status::InvalidArgument(name + ": recordcount must be >= 1");
  if (value_bytes() > kValueBytesMax) {
    return Status::InvalidArgument(name + ": fieldcount x fieldlength above 16 MiB");
  }
  if (max_scan_length == 0 || max_scan_length > kMaxScanLengthMax) {
    return Status::InvalidArgument(name + ": maxscanlength out of range");
  }
  return Status::OK();
}

std::string YcsbSpec::Describe() const {
  std::string out;
  for (size_t i = 0; i < kYcsbOpCount; ++i) {
    if (proportions[i] <= 0) continue;
    if (!out.empty()) out += ", ";
    out += fmt::format("{:.4g}% {}", proportions[i] * 100, YcsbOpName(static_cast<YcsbOp>(i)));
  }
  out += fmt::format("; {}", DistributionName(request_distribution));
  if (proportion(YcsbOp::kScan) > 0) {
    out += fmt::format("; scans of 1..{} ({})", max_scan_length,
                       scan_length_zipfian ? "zipfian" : "uniform");
  }
  return out;
}

const std::vector<YcsbSpec>& BuiltinYcsbSpecs() {
  using D = RequestDistribution;
  // Proportions in YcsbOp order: read, update, insert, scan, read-modify-write.
  static const std::vector<YcsbSpec> kSpecs = {
      Builtin("ycsba", {0.5, 0.5, 0, 0, 0}, D::kZipfian),
      Builtin("ycsbb", {0.95, 0.05, 0, 0, 0}, D::kZipfian),
      Builtin("ycsbc", {1, 0, 0, 0, 0}, D::kZipfian),
      Builtin("ycsbd", {0.95, 0, 0.05, 0, 0}, D::kLatest),
      Builtin("ycsbe", {0, 0, 0.05, 0.95, 0}, D::kZipfian),
      Builtin("ycsbf", {0.5, 0, 0, 0, 0.5}, D::kZipfian),
  };
  return kSpecs;
}

const YcsbSpec* FindBuiltinYcsbSpec(std::string_view name) {
  for (const YcsbSpec& spec : BuiltinYcsbSpecs())
    if (spec.name == name) return &spec;
  return nullptr;
}

Status ParseYcsbProperties(std::string_view text, std::string_view source, YcsbSpec* spec) {
  size_t line_number = 0;
  while (!text.empty()) {
    const size_t newline = text.find('\n');
    std::string_view line = Trim(text.substr(0, newline));
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    ++line_number;
    if (line.empty() || line.front() == '#' || line.front() == '!') continue;
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return Status::InvalidArgument(
          fmt::format("{}:{}: expected key=value, got '{}'", source, line_number, line));
    }
    const std::string error =
        ApplyProperty(Trim(line.substr(0, eq)), Trim(line.substr(eq + 1)), spec);
    if (!error.empty()) {
      return Status::InvalidArgument(fmt::format("{}:{}: {}", source, line_number, error));
    }
  }
  Status s = spec->Normalize();
  if (!s.ok()) return Status::InvalidArgument(fmt::format("{}: {}", source, s.ToString()));
  return Status::OK();
}

Status LoadYcsbPropertiesFile(const std::string& path, YcsbSpec* spec) {
  std::ifstream in(path);
  if (!in) return Status::IOError("cannot read workload file " + path);
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::IOError("error reading workload file " + path);
  *spec = YcsbSpec();
  spec->name = std::filesystem::path(path).stem().string();
  return ParseYcsbProperties(text.str(), path, spec);
}

}  // namespace ziggydb::bench
