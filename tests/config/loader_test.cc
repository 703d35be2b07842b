#include "config/loader.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "config/analyzer.h"
#include "tests/test_data.h"

namespace meshsim::config {
namespace {

LoadResult load_text(const std::string& text) { return load({{"test.yaml", text}}); }

// The first error-level diagnostic, for tests that expect exactly one problem.
std::vector<Diagnostic> errors_of(const std::vector<Diagnostic>& all) {
  std::vector<Diagnostic> out;
  for (const auto& d : all)
    if (d.severity == Severity::kError) out.push_back(d);
  return out;
}

TEST(Loader, LaterDocumentReplacesEarlierWithSameKindNamespaceName) {
  // kubectl apply semantics; the conformance README relies on it for
  // virtual-service-all-v1.yaml followed by virtual-service-reviews-test-v2.yaml.
  auto r = load_text(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v2}
)");
  ASSERT_TRUE(errors_of(r.diagnostics).empty());
  ASSERT_EQ(r.resources.virtual_services.size(), 1u);
  EXPECT_EQ(r.resources.virtual_services[0].header.meta.ns, "default");
  EXPECT_EQ(r.resources.virtual_services[0].http[0].route[0].destination.subset, "v2");
}

TEST(Loader, SkipsUnmodeledKindsWithANote) {
  auto r = load_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}\n");
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].severity, Severity::kInfo);
  EXPECT_NE(r.diagnostics[0].message.find("ConfigMap"), std::string::npos);
}

struct BadInputCase {
  const char* name;
  const char* yaml;
  int line, column;
  const char* message_part;
};

void PrintTo(const BadInputCase& c, std::ostream* os) { *os << c.name; }

// Each mistake the foundation issue lists, with the exact position reported.
const BadInputCase kBadInputs[] = {
    {"yaml_syntax",
     "apiVersion: v1\nkind: Service\nmetadata:\n  name: [unclosed\n", 5, 1, "YAML syntax error"},
    {"unknown_field_with_hint",
     "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r}\nspec:\n  hosts: [r]\n"
     "  http:\n  - route:\n    - destination: {host: r}\n      wieght: 10\n",
     9, 7, "did you mean \"weight\""},
    {"wrong_type",
     "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r}\nspec:\n  hosts: r\n",
     5, 10, "expected a list"},
    {"enum_with_valid_set",
     "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p}\nspec:\n  action: DENNY\n",
     5, 11, "valid values: ALLOW, DENY, AUDIT, CUSTOM"},
    {"bad_duration",
     "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r}\nspec:\n  hosts: [r]\n"
     "  http:\n  - route:\n    - destination: {host: r}\n    timeout: 10 seconds\n",
     9, 14, "invalid duration"},
    {"bad_regex",
     "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r}\nspec:\n  hosts: [r]\n"
     "  http:\n  - match:\n    - uri:\n        regex: \"/a(b\"\n    route:\n    - destination: {host: r}\n",
     9, 16, "missing ): /a(b"},
    // libyaml's problem and where the construct began (issue 20: the loader reads YAML with libyaml).
    {"yaml_key_without_colon", "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  labels\nspec: {}\n", 6, 1,
     "could not find expected ':' while scanning a simple key that starts at line 5, column 3"},
    {"second_document_position",
     "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: b}\n"
     "spec:\n  ports:\n  - port: 99999\n",
     10, 11, "out of range"},
};

class BadInput : public ::testing::TestWithParam<BadInputCase> {};

TEST_P(BadInput, ReportsFileLineColumnAndWhatWouldBeRight) {
  const BadInputCase& c = GetParam();
  auto r = load_text(c.yaml);
  auto errors = errors_of(r.diagnostics);
  ASSERT_EQ(errors.size(), 1u) << (errors.size() > 1 ? format_diagnostic(errors[1]) : "no error");
  EXPECT_EQ(errors[0].pos.file, "test.yaml");
  EXPECT_EQ(errors[0].pos.line, c.line) << format_diagnostic(errors[0]);
  EXPECT_EQ(errors[0].pos.column, c.column) << format_diagnostic(errors[0]);
  EXPECT_NE(errors[0].message.find(c.message_part), std::string::npos) << format_diagnostic(errors[0]);
}

INSTANTIATE_TEST_SUITE_P(Loader, BadInput, ::testing::ValuesIn(kBadInputs),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Loader, ReportsEveryProblemInEveryFile) {
  auto r = load({{"a.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {typo: 1}\n"},
                 {"b.yaml", "kind: [\n"},
                 {"c.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: c}\nspec: {replicas: x, template: {}}\n"}});
  auto errors = errors_of(r.diagnostics);
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].pos.file, "a.yaml");
  EXPECT_EQ(errors[1].pos.file, "b.yaml");
  EXPECT_EQ(errors[2].pos.file, "c.yaml");
}

// The guard against documents deep enough to exhaust the parser's stack
// (kMaxNestingDepth, 64 levels): flow brackets and block indentation count,
// brackets inside quoted scalars do not.
TEST(Loader, RefusesDocumentsNestedDeeperThan64Levels) {
  auto flow = [](int levels) { return "kind: " + std::string(levels, '[') + std::string(levels, ']') + "\n"; };
  auto block = [](int levels) {
    std::string text;
    for (int i = 0; i < levels; ++i) text += std::string(2 * i, ' ') + "k" + std::to_string(i) + ":\n";
    return text;
  };
  for (const std::string& deep : {flow(65), block(66)}) {
    auto errors = errors_of(load_text("# a comment\n---\n" + deep).diagnostics);
    ASSERT_EQ(errors.size(), 1u) << deep;
    EXPECT_EQ(errors[0].code, "MSH0002");
    EXPECT_EQ(errors[0].pos.line, 2);
    EXPECT_NE(errors[0].message.find("deeper than 64"), std::string::npos);
  }
  for (const std::string& shallow : {flow(64), block(65), "a: '" + std::string(100, '[') + "'\n",
                                     "a: \"" + std::string(100, '{') + "\"\n"}) {
    for (const auto& d : load_text(shallow).diagnostics) EXPECT_NE(d.code, "MSH0002") << shallow;
  }
}

// Istio's bookinfo sample (../shared/testdata/istio-bookinfo/README.md): every
// file loads without an error, alone and together with the platform files.
TEST(Loader, LoadsIstioBookinfoSamplesWithoutFalseErrors) {
  namespace fs = std::filesystem;
  MESHSIM_TESTDATA_OR_SKIP(dir, "istio-bookinfo");
  std::vector<Diagnostic> read_errors;
  // As the Istio tasks do: deploy bookinfo, apply the default destination rules, then the task's file.
  auto platform = read_sources({dir + "/platform__kube__bookinfo.yaml", dir + "/platform__kube__bookinfo-versions.yaml",
                                dir + "/networking__destination-rule-all.yaml"},
                               read_errors);
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") continue;
    ++files;
    auto sources = platform;
    auto one = read_sources({entry.path().string()}, read_errors);
    sources.insert(sources.end(), one.begin(), one.end());
    auto r = load(sources);
    for (const auto& d : errors_of(r.diagnostics)) ADD_FAILURE() << format_diagnostic(d);
    for (const auto& d : errors_of(analyze(r.resources))) ADD_FAILURE() << format_diagnostic(d);
  }
  EXPECT_GE(files, 25);
  EXPECT_TRUE(read_errors.empty());
}

}  // namespace
}  // namespace meshsim::config

namespace meshsim::config {
namespace {

// Every HTTPRoute of the Gateway API mesh conformance suite, with its
// manifests (../shared/testdata/gateway-api-mesh/README.md), loads and analyzes clean.
TEST(Loader, LoadsGatewayApiMeshConformanceWithoutFalseErrors) {
  namespace fs = std::filesystem;
  MESHSIM_TESTDATA_OR_SKIP(dir, "gateway-api-mesh");
  std::vector<Diagnostic> read_errors;
  auto manifests = read_sources({dir + "/manifests.yaml"}, read_errors);
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml" || entry.path().filename() == "manifests.yaml") continue;
    ++files;
    auto sources = manifests;
    auto one = read_sources({entry.path().string()}, read_errors);
    sources.insert(sources.end(), one.begin(), one.end());
    auto r = load(sources);
    EXPECT_FALSE(r.resources.http_routes.empty()) << entry.path();
    for (const auto& d : errors_of(r.diagnostics)) ADD_FAILURE() << format_diagnostic(d);
    for (const auto& d : errors_of(analyze(r.resources))) ADD_FAILURE() << format_diagnostic(d);
  }
  EXPECT_GE(files, 19);
  EXPECT_TRUE(read_errors.empty());
}

// The istio.io task configurations (../shared/testdata/istio-tasks/README.md).
TEST(Loader, LoadsIstioTaskConfigurationsWithoutFalseErrors) {
  MESHSIM_TESTDATA_OR_SKIP(bookinfo, "istio-bookinfo/platform__kube__bookinfo.yaml");
  MESHSIM_TESTDATA_OR_SKIP(tasks, "istio-tasks");
  std::vector<Diagnostic> read_errors;
  auto sources = read_sources({bookinfo, tasks}, read_errors);
  auto r = load(sources);
  for (const auto& d : errors_of(r.diagnostics)) ADD_FAILURE() << format_diagnostic(d);
  EXPECT_GE(r.resources.authorization_policies.size(), 4u);
  EXPECT_TRUE(read_errors.empty());
}

}  // namespace
}  // namespace meshsim::config
