#include "services/behavior.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

#include "proxy_core/field_slots.h"
#include "proxy_core/http.h"

namespace meshsim::services {
namespace {

// Uniform in (0, 1) from 53 random bits.
double unit(proxy::Random& random) { return (static_cast<double>(random.next() >> 11) + 0.5) * 0x1.0p-53; }

// Standard normal by Box-Muller; our own so every platform draws the same values.
double standard_normal(proxy::Random& random) {
  double u1 = unit(random), u2 = unit(random);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

Duration micros(double us) { return Duration(static_cast<int64_t>(std::max(0.0, std::llround(us) * 1.0))); }

}  // namespace

Duration LatencyModel::sample(proxy::Random& random) const {
  switch (kind) {
    case Kind::kFixed: return fixed;
    case Kind::kUniform: {
      double span = static_cast<double>((max - min).count());
      return min + micros(unit(random) * span);
    }
    case Kind::kNormal:
      return micros(static_cast<double>(mean.count()) + standard_normal(random) * static_cast<double>(stddev.count()));
    case Kind::kLogNormal: {
      // ln X ~ N(mu, sigma): median = e^mu, p99 = e^(mu + 2.3263 sigma).
      double mu = std::log(std::max<double>(1, static_cast<double>(p50.count())));
      double sigma = std::max(0.0, (std::log(std::max<double>(1, static_cast<double>(p99.count()))) - mu) / 2.3263478740408408);
      return micros(std::exp(mu + sigma * standard_normal(random)));
    }
    case Kind::kTable: {
      uint64_t total = 0;
      for (const auto& [value, weight] : table) total += weight;
      if (total == 0) return Duration(0);
      uint64_t pick = random.below(total);
      for (const auto& [value, weight] : table) {
        if (pick < weight) return value;
        pick -= weight;
      }
      return table.back().first;
    }
  }
  return Duration(0);
}

namespace {
// The trace context fields apps pass on, whatever their behaviour says, with
// their sizes and middle bytes: most fields are passed over without a
// comparison (a request's fields are mostly trace fields too).
constexpr proxy::FieldNameSet kAlwaysPropagated{std::to_array<proxy::FieldName>(
    {"x-request-id", "traceparent", "tracestate", "x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid", "x-b3-sampled",
     "x-b3-flags", "b3", "x-ot-span-context", "x-cloud-trace-context", "grpc-trace-bin"})};
// workload_app.cc marks the ones copied in a 32-bit mask.
static_assert(kAlwaysPropagated.names.size() <= 32);
}  // namespace

const std::vector<std::string>& always_propagated_headers() {
  static const std::vector<std::string> headers = [] {
    std::vector<std::string> names;
    for (const proxy::FieldName& name : kAlwaysPropagated.names) names.emplace_back(name.view());
    return names;
  }();
  return headers;
}

// Apps run it on every field of every request they call on with.
int always_propagated_index(std::string_view name) { return kAlwaysPropagated.find(name); }

}  // namespace meshsim::services
