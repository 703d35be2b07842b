#include "proxy_core/resources.h"

namespace meshsim::proxy {

SourcePos FieldPositions::at(const std::string& path) const {
  std::string p = path;
  while (true) {
    if (auto it = by_path.find(p); it != by_path.end()) return it->second;
    auto cut = p.find_last_of(".[");
    if (cut == std::string::npos || cut == 0) break;
    p.resize(cut);
  }
  if (auto it = by_path.find(""); it != by_path.end()) return it->second;
  return {};
}

}  // namespace meshsim::proxy
