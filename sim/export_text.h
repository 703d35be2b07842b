// Text helpers for the `meshsim export` writers: YAML scalars that read
// back as the same string, shell quoting, DNS-1123 names and durations in
// Go syntax (what kubectl, Prometheus, Flagger and Argo Rollouts accept).
#pragma once

#include <string>

#include "proxy_core/resources.h"

namespace meshsim::sim {

// A YAML scalar for `s` that reads back as a string: plain when that is
// safe (no YAML 1.1 boolean, number or null look-alike), else double-quoted.
std::string yaml_string(const std::string& s);

// `s` for /bin/sh: single-quoted unless it is a plain word.
std::string shell_word(const std::string& s);

// A Kubernetes object name (RFC 1123 label): lower case, [a-z0-9-], at most
// 63 characters, starting and ending with an alphanumeric.
std::string dns_label(const std::string& s);

// A Kubernetes label value: [A-Za-z0-9-_.], at most 63, alphanumeric at
// both ends ("@outside" becomes "outside"); "meshsim" when nothing is left.
std::string label_value(const std::string& s);

// "190s", "500ms", "1500us" (the largest unit that divides evenly).
std::string go_duration(proxy::Duration d);

// Each line of `text` indented by `spaces` (empty lines stay empty).
std::string indent_lines(const std::string& text, int spaces);

}  // namespace meshsim::sim
