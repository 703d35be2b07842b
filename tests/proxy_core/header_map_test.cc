// HeaderMap keeps every field in one buffer; these pin down the edits that
// move bytes inside it (RFC 9110 §5: names are case-insensitive, order kept).
#include "proxy_core/http.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/fixtures/header_lines.h"

namespace meshsim::proxy {
namespace {

using testing::header_lines;

TEST(HeaderMap, SetReplacesTheFirstAndDropsRepeatsInOrder) {
  HeaderMap h;
  h.add("A", "1");
  h.add("b", "2");
  h.add("a", "3");
  h.set("a", "a much longer value than before");
  EXPECT_EQ(header_lines(h), (std::vector<std::string>{"A: a much longer value than before", "b: 2"}));
  h.set("A", "x");
  EXPECT_EQ(header_lines(h), (std::vector<std::string>{"A: x", "b: 2"}));
  EXPECT_EQ(h.get("a"), "x");
  h.remove("B");
  EXPECT_EQ(header_lines(h), (std::vector<std::string>{"A: x"}));
  EXPECT_FALSE(h.has("b"));
}

TEST(HeaderMap, SetCheckedReplacesAsSetDoes) {
  // set_checked skips only the CR/LF scan of a value known to be safe.
  HeaderMap h;
  h.add("x-b3-spanid", "1111111111111111");
  h.add("other", "o");
  h.add("X-B3-SpanId", "2222222222222222");
  h.set_checked("x-b3-spanid", "3333333333333333");
  h.set_checked("x-b3-sampled", "1");
  EXPECT_EQ(header_lines(h), (std::vector<std::string>{"x-b3-spanid: 3333333333333333", "other: o", "x-b3-sampled: 1"}));
}

TEST(HeaderMap, ValuesMayComeFromTheMapItself) {
  // A view into the map's own buffer must survive the buffer growing.
  HeaderMap h;
  h.add("x-b3-traceid", "0123456789abcdef0123456789abcdef");
  for (int i = 0; i < 50; ++i) h.add("copy", *h.get("x-b3-traceid"));
  h.add(*h.get("x-b3-traceid"), *h.get("copy"));
  h.set("x-b3-traceid", *h.get("copy"));
  for (const Header f : h.all()) {
    if (f.name == "copy" || f.name == "x-b3-traceid") {
      EXPECT_EQ(f.value, "0123456789abcdef0123456789abcdef");
    } else {
      EXPECT_EQ(f.name, "0123456789abcdef0123456789abcdef");
    }
  }
  EXPECT_EQ(h.size(), 52u);
}

TEST(HeaderMap, RepeatedEditsDoNotGrowWithoutBound) {
  HeaderMap h;
  h.add("keep", "me");
  for (int i = 0; i < 10000; ++i) {
    h.set("x-envoy-attempt-count", std::string(40 + i % 7, 'a'));
    h.remove("x-envoy-attempt-count");
    h.add("x-envoy-attempt-count", std::to_string(i));
  }
  EXPECT_EQ(header_lines(h), (std::vector<std::string>{"keep: me", "x-envoy-attempt-count: 9999"}));
  EXPECT_LT(h.bytes_held(), 4096u);  // dead bytes are compacted away
  HeaderMap copy = h;  // copies carry no dead bytes' meaning: same fields
  EXPECT_EQ(header_lines(copy), header_lines(h));
  EXPECT_EQ(h.get_joined("KEEP"), "me");
}

TEST(HeaderMap, KeepsOnlyFieldsThatAreSafeToWrite) {
  // RFC 9110 §5.1 and §5.5: a field name is a token, and a value holds no CR
  // or LF. The codec writes a map's fields as they are, so add() and set()
  // are where a configured or scripted header is made safe. (A literal name
  // that is not a token does not compile: see FieldName.)
  const std::vector<std::string> not_tokens = {"bad name", "", "x:colon"};
  HeaderMap h;
  h.add("x-ok", "a\r\nx-injected: 1");
  for (const std::string& name : not_tokens) h.add(name, "dropped");
  h.set("x-set", "b\nc");
  h.set("x-set", "d\r");  // in place, where the old value was
  h.set("x-ok", "a longer value than before\r\n");  // moved to the end of the buffer
  h.set(std::string_view("also bad"), "dropped");
  EXPECT_EQ(header_lines(h), (std::vector<std::string>{"x-ok: a longer value than before  ", "x-set: d "}));
}

}  // namespace
}  // namespace meshsim::proxy
