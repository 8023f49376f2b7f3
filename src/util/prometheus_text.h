// PrometheusText: builds a page in the Prometheus text exposition format, version 0.0.4.
//
// Format produced (one family after another, each family's samples together):
//   # HELP <name> <help, with \ and newline escaped>
//   # TYPE <name> counter|gauge|histogram
//   <name>[{label="value",...}] <value>
// Histograms: cumulative <name>_bucket{le="<bound>"} samples for ascending bounds ending with
// le="+Inf" (== <name>_count), then <name>_sum and <name>_count.
//
// Names must match [a-zA-Z_:][a-zA-Z0-9_:]* and label names [a-zA-Z_][a-zA-Z0-9_]*
// (asserted); label values are escaped (\\, \", \n).
//
// Thread safety: none (one page per builder).
#ifndef ZIGGYDB_UTIL_PROMETHEUS_TEXT_H_
#define ZIGGYDB_UTIL_PROMETHEUS_TEXT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ziggydb {

class PrometheusText {
 public:
  using Labels = std::vector<std::pair<std::string_view, std::string>>;

  // Starts a family. type: "counter", "gauge" or "histogram". A name is declared once per page.
  void Family(std::string_view name, std::string_view type, std::string_view help);
  // One sample of the current family (name is the family name, or for histograms a suffixed
  // one written by Histogram()).
  void Sample(std::string_view name, const Labels& labels, uint64_t value);
  void Sample(std::string_view name, uint64_t value) { Sample(name, Labels(), value); }

  // A whole histogram family: `cumulative` holds (upper bound, samples <= bound) with ascending
  // bounds and non-decreasing counts, each <= count.
  void Histogram(std::string_view name, std::string_view help,
                 const std::vector<std::pair<uint64_t, uint64_t>>& cumulative, uint64_t sum,
                 uint64_t count);

  const std::string& text() const { return out_; }

  static bool IsValidMetricName(std::string_view name);
  static bool IsValidLabelName(std::string_view name);

 private:
  std::string out_;
};

}  // namespace ziggydb

#endif  // ZIGGYDB_UTIL_PROMETHEUS_TEXT_H_
