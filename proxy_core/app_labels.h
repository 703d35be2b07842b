// The app and version a workload reports itself as (Istio's *_app and
// *_version labels) and answers with: app.kubernetes.io/name and
// app.kubernetes.io/version before the plain `app` and `version` labels
// (istio/proxy extensions/common/metadata_object.cc
// convertStructToWorkloadMetadata, AppNameQualifiedLabel, release-1.29 on).
#pragma once

#include <initializer_list>
#include <string>

#include "proxy_core/resources.h"

namespace meshsim::proxy {

// The first of `keys` the labels have, else nullptr.
inline const char* first_label_key(const Labels& labels, std::initializer_list<const char*> keys) {
  for (const char* key : keys)
    if (labels.count(key)) return key;
  return nullptr;
}

// The value of the first of `keys` the labels have, else nullptr.
inline const std::string* first_label(const Labels& labels, std::initializer_list<const char*> keys) {
  const char* key = first_label_key(labels, keys);
  return key ? &labels.at(key) : nullptr;
}

// The label key that names the app (or version), as found; nullptr when none.
inline const char* app_label_key(const Labels& labels) {
  return first_label_key(labels, {"app.kubernetes.io/name", "app"});
}
inline const char* version_label_key(const Labels& labels) {
  return first_label_key(labels, {"app.kubernetes.io/version", "version"});
}

inline std::string app_label(const Labels& labels) {
  const char* key = app_label_key(labels);
  return key ? labels.at(key) : std::string();
}
inline std::string version_label(const Labels& labels) {
  const char* key = version_label_key(labels);
  return key ? labels.at(key) : std::string();
}

}  // namespace meshsim::proxy
