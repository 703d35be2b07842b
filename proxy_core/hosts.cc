#include "proxy_core/hosts.h"

#include "proxy_core/http.h"

#include <algorithm>
#include <cctype>

namespace meshsim::proxy {

std::string resolve_short_name(std::string_view host, std::string_view ns) {
  if (host == "*" || host.find('.') != std::string_view::npos) return std::string(host);
  if (!host.empty() && host[0] == '*') return std::string(host);
  // Sized once: the chained `+` reallocated when a longer service name
  // pushed the FQDN past its first growth (issue 20).
  std::string fqdn;
  fqdn.reserve(host.size() + ns.size() + 2 + std::string_view(kClusterDomain).size());
  fqdn.append(host).append(".").append(ns).append(".").append(kClusterDomain);
  return fqdn;
}

std::string_view strip_port(std::string_view authority) {
  if (!authority.empty() && authority[0] == '[') {
    auto close = authority.find(']');
    return close == std::string_view::npos ? authority : authority.substr(0, close + 1);
  }
  auto colon = authority.rfind(':');
  return colon == std::string_view::npos ? authority : authority.substr(0, colon);
}

std::string client_fqdn(std::string_view host, std::string_view client_ns) {
  std::string h;
  client_fqdn_into(h, host, client_ns);
  return h;
}

void client_fqdn_into(std::string& h, std::string_view host, std::string_view client_ns) {
  // Called for every request: built in place, one allocation at most.
  host = strip_port(host);
  h.reserve(host.size() + client_ns.size() + kClusterDomain.size() + 2);
  h = host;
  for (char& c : h) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c;
  if (!h.empty() && h.back() == '.') h.pop_back();
  auto dots = std::count(h.begin(), h.end(), '.');
  auto append_domain = [&h] { h.append(".").append(kClusterDomain); };
  if (dots == 0) {  // name
    h.append(".").append(client_ns);
    append_domain();
  } else if (h.size() > kClusterDomain.size() && h.ends_with(kClusterDomain) &&
             h[h.size() - kClusterDomain.size() - 1] == '.') {  // already fully qualified
  } else if (dots == 1) {  // name.ns
    append_domain();
  } else if (h.ends_with(".svc")) {  // name.ns.svc
    h.append(".cluster.local");
  }
}

bool host_matches(std::string_view pattern, std::string_view host) {
  if (pattern == "*") return true;
  if (pattern.size() > 1 && pattern[0] == '*') {
    std::string_view suffix = pattern.substr(1);  // ".example.com"
    return host.size() > suffix.size() && host.ends_with(suffix);
  }
  return pattern == host;
}

}  // namespace meshsim::proxy
