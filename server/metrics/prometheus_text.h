// The Prometheus text exposition format (0.0.4): # HELP and # TYPE lines, samples with escaped
// label values, histograms with cumulative buckets. Written here because prometheus-cpp, the
// usual library, is not packaged in Debian 12 and the project builds from Debian packages
// only; the format is small and specified at
// https://prometheus.io/docs/instrumenting/exposition_formats/.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace hakmem::metrics {

struct Label {
  std::string_view name;
  std::string_view value;
};

class PrometheusText {
 public:
  // Starts a family: one HELP and one TYPE line (type: counter, gauge, histogram, untyped).
  // Throws std::invalid_argument for an invalid or repeated name or an unknown type: the
  // metric names are the program's, so that is a bug, not input.
  void family(std::string_view name, std::string_view type, std::string_view help);
  // A sample of the family begun last (name may carry its suffix: _bucket, _sum, _count).
  void sample(std::string_view name, std::initializer_list<Label> labels, double value);
  void sample(std::string_view name, std::initializer_list<Label> labels, uint64_t value);
  void sample(std::string_view name, double value) { sample(name, {}, value); }
  void sample(std::string_view name, uint64_t value) { sample(name, {}, value); }

  // A whole histogram family: cumulative[i] observations <= upper_bounds[i] (ascending), then
  // the +Inf bucket (count), _sum and _count.
  void histogram(std::string_view name, std::string_view help,
                 const std::vector<double>& upper_bounds, const std::vector<uint64_t>& cumulative,
                 uint64_t count, double sum);

  const std::string& text() const { return out_; }

  static bool valid_metric_name(std::string_view name);
  static bool valid_label_name(std::string_view name);
  // Escapes for a HELP line (\ and newline) or a label value (\, " and newline).
  static std::string escape_help(std::string_view text);
  static std::string escape_label_value(std::string_view text);
  // Shortest text that reads back as the same double; +Inf, -Inf, NaN as the format spells them.
  static std::string format_value(double value);

 private:
  void begin_sample(std::string_view name, std::initializer_list<Label> labels);

  std::string out_;
  std::set<std::string, std::less<>> families_;
};

}  // namespace hakmem::metrics
