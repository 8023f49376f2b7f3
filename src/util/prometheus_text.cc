#include "util/prometheus_text.h"

#include "util/assert.h"

namespace ziggydb {
namespace {

bool IsNameChar(char c, bool first, bool colon_ok) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
  if (colon_ok && c == ':') return true;
  return !first && c >= '0' && c <= '9';
}

// HELP text escapes backslash and newline; label values also the double quote.
void AppendEscaped(std::string_view text, bool quote, std::string* out) {
  for (char c : text) {
    if (c == '\\') {
      *out += "\\\\";
    } else if (c == '\n') {
      *out += "\\n";
    } else if (quote && c == '"') {
      *out += "\\\"";
    } else {
      out->push_back(c);
    }
  }
}

}  // namespace

bool PrometheusText::IsValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (!IsNameChar(name[i], i == 0, /*colon_ok=*/true)) return false;
  }
  return true;
}

bool PrometheusText::IsValidLabelName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (!IsNameChar(name[i], i == 0, /*colon_ok=*/false)) return false;
  }
  return true;
}

void PrometheusText::Family(std::string_view name, std::string_view type, std::string_view help) {
  ZIGGY_ASSERT(IsValidMetricName(name));
  ZIGGY_ASSERT(type == "counter" || type == "gauge" || type == "histogram");
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  AppendEscaped(help, /*quote=*/false, &out_);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void PrometheusText::Sample(std::string_view name, const Labels& labels, uint64_t value) {
  ZIGGY_ASSERT(IsValidMetricName(name));
  out_ += name;
  if (!labels.empty()) {
    out_ += '{';
    for (size_t i = 0; i < labels.size(); ++i) {
      ZIGGY_ASSERT(IsValidLabelName(labels[i].first));
      if (i > 0) out_ += ',';
      out_ += labels[i].first;
      out_ += "=\"";
      AppendEscaped(labels[i].second, /*quote=*/true, &out_);
      out_ += '"';
    }
    out_ += '}';
  }
  out_ += ' ';
  out_ += std::to_string(value);
  out_ += '\n';
}

void PrometheusText::Histogram(std::string_view name, std::string_view help,
                               const std::vector<std::pair<uint64_t, uint64_t>>& cumulative,
                               uint64_t sum, uint64_t count) {
  Family(name, "histogram", help);
  const std::string bucket = std::string(name) + "_bucket";
  uint64_t previous = 0;
  for (const auto& [bound, at_or_below] : cumulative) {
    ZIGGY_ASSERT(at_or_below >= previous && at_or_below <= count);
    previous = at_or_below;
    Sample(bucket, {{"le", std::to_string(bound)}}, at_or_below);
  }
  Sample(bucket, {{"le", "+Inf"}}, count);
  Sample(std::string(name) + "_sum", sum);
  Sample(std::string(name) + "_count", count);
}

}  // namespace ziggydb
