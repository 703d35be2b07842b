// FieldSlots finds a few fields once and then reads and edits them by place;
// it must mean exactly what HeaderMap's own get, set_checked and remove
// mean (the first value; a set replaces the first and drops repeats, RFC
// 9110 5.3: names are case-insensitive). Checked against HeaderMap itself
// over random maps and random edit sequences.
#include "proxy_core/field_slots.h"

#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/fixtures/header_lines.h"

namespace meshsim::proxy {
namespace {

using testing::header_lines;

constexpr FieldNameSet<3> kSlots = {std::array<FieldName, 3>{"x-request-id", "traceparent", "x-b3-spanid"}};
constexpr const std::array<FieldName, 3>& kNames = kSlots.names;

TEST(FieldSlots, RemovingOneKeepsThePlacesOfTheOthers) {
  HeaderMap h;
  h.add("x-b3-spanid", "s");
  h.add("other", "o");
  h.add("Traceparent", "t");
  h.add("x-request-id", "r");
  FieldSlots f(h, kSlots);
  f.remove(2);  // x-b3-spanid, before the other two
  EXPECT_EQ(f.get(1), "t");
  EXPECT_EQ(f.get(0), "r");
  f.set(1, "a value longer than the one before");
  f.set(0, "q");
  f.set(2, "new");
  EXPECT_EQ(header_lines(h), (std::vector<std::string>{"other: o", "Traceparent: a value longer than the one before",
                                                "x-request-id: q", "x-b3-spanid: new"}));
}

TEST(FieldSlots, ARepeatedNameTakesTheMapsOwnCalls) {
  HeaderMap h;
  h.add("traceparent", "1");
  h.add("x-request-id", "r");
  h.add("TRACEPARENT", "2");
  FieldSlots f(h, kSlots);
  EXPECT_EQ(f.get(1), "1");
  f.set(1, "3");  // drops the repeat, which moves x-request-id's place
  EXPECT_EQ(f.get(0), "r");
  f.set(0, "s");
  EXPECT_EQ(header_lines(h), (std::vector<std::string>{"traceparent: 3", "x-request-id: s"}));
}

TEST(FieldSlots, ValuesMayComeFromTheMapItself) {
  HeaderMap h;
  h.add("x-request-id", "short");
  h.add("traceparent", "a much longer value that will not fit in place");
  FieldSlots f(h, kSlots);
  f.set(0, *f.get(1));
  f.set(1, f.get(0)->substr(0, 4));
  f.set(2, *f.get(0));
  EXPECT_EQ(header_lines(h), (std::vector<std::string>{"x-request-id: a much longer value that will not fit in place",
                                                "traceparent: a mu",
                                                "x-b3-spanid: a much longer value that will not fit in place"}));
}

// Random maps over names that match the slots in other cases, with and
// without repeats, and random edits: after every edit the map and every
// get agree with the same edits made through HeaderMap's calls.
TEST(FieldSlots, AgreesWithHeaderMapOnRandomEdits) {
  const std::vector<std::string> pool = {"x-request-id", "X-Request-Id", "traceparent", "TraceParent",
                                         "x-b3-spanid",  "other",        "x-b3-spanidx", "date"};
  std::mt19937 rng(20261206);
  for (int round = 0; round < 2000; ++round) {
    HeaderMap slotted, plain;
    int fields = static_cast<int>(rng() % 7);
    for (int i = 0; i < fields; ++i) {
      const std::string& name = pool[rng() % pool.size()];
      std::string value(rng() % 12, static_cast<char>('a' + i));
      slotted.add(name, value);
      plain.add(name, value);
    }
    FieldSlots f(slotted, kSlots);
    for (int edit = 0; edit < 6; ++edit) {
      size_t slot = rng() % kNames.size();
      std::string_view name = kNames[slot].view();
      switch (rng() % 3) {
        case 0: {
          std::string value(rng() % 40, static_cast<char>('A' + edit));
          f.set(slot, value);
          plain.set_checked(kNames[slot], value);
          break;
        }
        case 1:
          f.remove(slot);
          plain.remove(name);
          break;
        default:
          break;
      }
      ASSERT_EQ(header_lines(slotted), header_lines(plain)) << "round " << round << " edit " << edit;
      for (size_t k = 0; k < kNames.size(); ++k)
        ASSERT_EQ(f.get(k), plain.get(kNames[k].view())) << "round " << round << " edit " << edit << " slot " << k;
    }
  }
}

}  // namespace
}  // namespace meshsim::proxy
