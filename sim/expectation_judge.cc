#include "sim/expectation_judge.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace meshsim::sim {

namespace {

std::string ms(int64_t us) { return fmt::format("{:.1f} ms", static_cast<double>(us) / 1000.0); }

}  // namespace

bool status_in_class(int status, const std::string& cls) {
  if (cls == "4xx|5xx") return status >= 400;
  if (cls == "5xx") return status >= 500;
  int hundreds = cls.empty() ? 0 : cls[0] - '0';
  return status / 100 == hundreds;
}

ExpectationResult judge_expectation(const Expectation& e, const ExpectationTally& x) {
  ExpectationResult r;
  r.name = e.name;
  r.samples = x.n;
  r.pos = e.pos;
  double n = static_cast<double>(x.n);
  auto within = [&](double v) { return (!e.min || v >= *e.min - 1e-12) && (!e.max || v <= *e.max + 1e-12); };
  auto bounds = [&] {
    std::string s;
    if (e.min) s += fmt::format("min {:g}", *e.min);
    if (e.max) s += fmt::format("{}max {:g}", s.empty() ? "" : ", ", *e.max);
    return s;
  };
  switch (e.kind) {
    case Expectation::Kind::kShare: {
      double p = e.expected;
      double observed = x.n ? static_cast<double>(x.matching) / n : 0;
      if (x.n == 0) {
        r.observed = fmt::format("no requests in the slice (expected share of {} = {:g})", e.share_version, p);
      } else if (p <= 0 || p >= 1) {
        r.passed = p <= 0 ? x.matching == 0 : x.matching == x.n;
        r.observed = fmt::format("share of {} = {:.3f} ({} of {}), expected exactly {:g}", e.share_version, observed,
                                 x.matching, x.n, p);
      } else {
        double se = std::sqrt(p * (1 - p) / n);
        double lo = std::max(0.0, p - e.share_sigmas * se), hi = std::min(1.0, p + e.share_sigmas * se);
        r.passed = observed >= lo && observed <= hi;
        r.observed = fmt::format("share of {} = {:.3f} ({} of {}), expected {:g}: plausible range [{:.3f}, {:.3f}] "
                                 "(±{:g} standard errors)",
                                 e.share_version, observed, x.matching, x.n, p, lo, hi, e.share_sigmas);
      }
      break;
    }
    case Expectation::Kind::kErrorRate:
    case Expectation::Kind::kStatusClass:
    case Expectation::Kind::kResponseFlag:
    case Expectation::Kind::kReceived: {
      double rate = x.n ? static_cast<double>(x.matching) / n : 0;
      r.passed = x.n > 0 && within(rate);
      std::string what = e.kind == Expectation::Kind::kErrorRate     ? std::string("error rate")
                         : e.kind == Expectation::Kind::kResponseFlag ? "share of flag " + e.response_flag
                         : e.kind == Expectation::Kind::kReceived
                             ? fmt::format("share received with {}{}", e.received_header,
                                           e.received_value.empty() ? "" : ": " + e.received_value)
                         : !e.status_class.empty()                    ? e.status_class + " share"
                         : e.status_code == 0                         ? std::string("share of no response")
                                                                      : fmt::format("share of status {}", e.status_code);
      r.observed = x.n ? fmt::format("{} = {:.3f} ({} of {}); want {}", what, rate, x.matching, x.n, bounds())
                       : fmt::format("no requests in the slice; want {} {}", what, bounds());
      break;
    }
    case Expectation::Kind::kLatency: {
      int64_t v = x.latency_us;
      r.passed = x.n > 0 && (!e.latency_has_max || Duration(v) <= e.latency_max) &&
                 (!e.latency_min || Duration(v) >= *e.latency_min);
      std::string want = e.latency_min && e.latency_has_max
                             ? fmt::format("between {} and {}", ms(e.latency_min->count()), ms(e.latency_max.count()))
                         : e.latency_min ? fmt::format("at least {}", ms(e.latency_min->count()))
                                         : fmt::format("at most {}", ms(e.latency_max.count()));
      r.observed = fmt::format("p{:g} = {} (n={}); want {}", e.percentile, ms(v), x.n, want);
      break;
    }
    case Expectation::Kind::kRequests:
      r.passed = within(n);
      r.observed = fmt::format("{} requests; want {}", x.n, bounds());
      break;
    case Expectation::Kind::kBody:
      r.passed = x.n > 0 && x.body_mismatches == 0;
      r.observed = x.body_mismatches ? fmt::format("{} of {} bodies differ, e.g. \"{}\"", x.body_mismatches, x.n, x.first_bad_body)
                                     : fmt::format("{} responses, all \"{}\"", x.n, e.body);
      break;
  }
  return r;
}

}  // namespace meshsim::sim
