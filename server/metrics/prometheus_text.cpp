#include "prometheus_text.h"

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace hakmem::metrics {

namespace {

bool name_char(char c, bool first, bool colon) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
  if (colon && c == ':') return true;
  return !first && c >= '0' && c <= '9';
}

bool valid_name(std::string_view name, bool colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (!name_char(name[i], i == 0, colon)) return false;
  }
  return true;
}

}  // namespace

bool PrometheusText::valid_metric_name(std::string_view name) {
  return valid_name(name, true);
}

bool PrometheusText::valid_label_name(std::string_view name) {
  return valid_name(name, false) && name.substr(0, 2) != "__";  // __ is reserved
}

std::string PrometheusText::escape_help(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string PrometheusText::escape_label_value(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string PrometheusText::format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return ec == std::errc() ? std::string(buf, end) : "NaN";
}

void PrometheusText::family(std::string_view name, std::string_view type, std::string_view help) {
  if (!valid_metric_name(name)) {
    throw std::invalid_argument("invalid metric name '" + std::string(name) + "'");
  }
  if (type != "counter" && type != "gauge" && type != "histogram" && type != "untyped") {
    throw std::invalid_argument("unknown metric type '" + std::string(type) + "'");
  }
  if (!families_.emplace(name).second) {
    throw std::invalid_argument("metric family '" + std::string(name) + "' written twice");
  }
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  out_ += escape_help(help);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void PrometheusText::begin_sample(std::string_view name, std::initializer_list<Label> labels) {
  if (!valid_metric_name(name)) {
    throw std::invalid_argument("invalid metric name '" + std::string(name) + "'");
  }
  out_ += name;
  if (labels.size() > 0) {
    out_ += '{';
    bool first = true;
    for (const Label& l : labels) {
      if (!valid_label_name(l.name)) {
        throw std::invalid_argument("invalid label name '" + std::string(l.name) + "'");
      }
      if (!first) out_ += ',';
      first = false;
      out_ += l.name;
      out_ += "=\"";
      out_ += escape_label_value(l.value);
      out_ += '"';
    }
    out_ += '}';
  }
  out_ += ' ';
}

void PrometheusText::sample(std::string_view name, std::initializer_list<Label> labels,
                            double value) {
  begin_sample(name, labels);
  out_ += format_value(value);
  out_ += '\n';
}

void PrometheusText::sample(std::string_view name, std::initializer_list<Label> labels,
                            uint64_t value) {
  begin_sample(name, labels);
  out_ += std::to_string(value);
  out_ += '\n';
}

void PrometheusText::histogram(std::string_view name, std::string_view help,
                               const std::vector<double>& upper_bounds,
                               const std::vector<uint64_t>& cumulative, uint64_t count,
                               double sum) {
  if (upper_bounds.size() != cumulative.size()) {
    throw std::invalid_argument("histogram '" + std::string(name) + "': bounds and counts differ");
  }
  family(name, "histogram", help);
  const std::string base(name);
  const std::string bucket = base + "_bucket";
  for (size_t i = 0; i < upper_bounds.size(); ++i) {
    const std::string le = format_value(upper_bounds[i]);
    sample(bucket, {{"le", le}}, cumulative[i]);
  }
  sample(bucket, {{"le", "+Inf"}}, count);
  sample(base + "_sum", sum);
  sample(base + "_count", count);
}

}  // namespace hakmem::metrics
