// The discrete-event scheduler's contract (sim/scheduler.h): events run in
// time order, events due at the same time in the order they were scheduled
// (as ns-3's scheduler keys events by time and a sequence number), cancelled
// events never run, and run(until) stops before anything later than `until`.
// The order is checked against a plain reference model over many random
// schedules, so a heap that loses or reorders an entry fails here rather
// than as a changed report somewhere else.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <utility>
#include <vector>

#include "sim/scheduler.h"

namespace meshsim::sim {
namespace {

using std::chrono::microseconds;

TEST(Scheduler, SameTimeRunsInInsertionOrderAndTimeOrderOtherwise) {
  Scheduler s;
  std::vector<int> ran;
  s.schedule(microseconds(5), [&] { ran.push_back(3); });
  s.schedule(microseconds(1), [&] { ran.push_back(1); });
  s.schedule(microseconds(5), [&] { ran.push_back(4); });
  s.schedule(microseconds(1), [&] { ran.push_back(2); });
  s.schedule(microseconds(9), [&] { ran.push_back(5); });
  EXPECT_TRUE(s.run());
  EXPECT_EQ(ran, (std::vector<int>{1, 2, 3, 4, 5}));
  EXPECT_EQ(s.now(), TimePoint(microseconds(9)));
}

TEST(Scheduler, RunUntilLeavesLaterEventsAndMovesTheClock) {
  Scheduler s;
  std::vector<int> ran;
  s.schedule(microseconds(10), [&] { ran.push_back(10); });
  s.schedule(microseconds(30), [&] { ran.push_back(30); });
  EXPECT_TRUE(s.run(TimePoint(microseconds(20))));
  EXPECT_EQ(ran, (std::vector<int>{10}));
  EXPECT_EQ(s.now(), TimePoint(microseconds(20)));
  EXPECT_EQ(s.next_at(), TimePoint(microseconds(30)));
  EXPECT_TRUE(s.run());
  EXPECT_EQ(ran, (std::vector<int>{10, 30}));
  EXPECT_TRUE(s.empty());
}

TEST(Scheduler, CancelledEventsNeverRun) {
  Scheduler s;
  std::vector<int> ran;
  auto a = s.schedule(microseconds(1), [&] { ran.push_back(1); });
  s.schedule(microseconds(2), [&] { ran.push_back(2); });
  auto c = s.schedule(microseconds(3), [&] { ran.push_back(3); });
  s.cancel(a);
  s.cancel(c);
  EXPECT_TRUE(s.run());
  EXPECT_EQ(ran, (std::vector<int>{2}));
  EXPECT_TRUE(s.empty());
}

// Random delays (many ties), events that schedule more events while the run
// goes on, and cancels: the order must be exactly (time, scheduling order).
TEST(Scheduler, MatchesAReferenceOrderOverRandomSchedules) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    Scheduler s;
    // Reference: (due time, scheduling number) -> event label; std::map
    // iterates in exactly the order the contract promises.
    std::map<std::pair<int64_t, uint64_t>, int> expected;
    std::vector<int> ran;
    uint64_t scheduled = 0;
    int next_label = 0;
    std::vector<std::pair<Scheduler::TimerId, std::pair<int64_t, uint64_t>>> cancellable;
    // `at` is the scheduling event's own due time (0 before the run): the
    // reference keeps its own clock rather than asking the scheduler's.
    std::function<void(int, int64_t)> add = [&](int depth, int64_t at) {
      int64_t delay = std::uniform_int_distribution<int64_t>(0, 40)(rng);
      int label = next_label++;
      bool spawns = depth < 3 && rng() % 3 == 0;
      int64_t due = at + delay;
      auto id = s.schedule(microseconds(delay), [&, label, spawns, depth, due] {
        ran.push_back(label);
        if (spawns)
          for (int i = 0; i < 3; ++i) add(depth + 1, due);
      });
      auto key = std::pair{due, scheduled++};
      expected[key] = label;
      if (rng() % 10 == 0) cancellable.push_back({id, key});
    };
    for (int i = 0; i < 500; ++i) add(0, 0);
    for (size_t i = 0; i < cancellable.size(); i += 2) {
      s.cancel(cancellable[i].first);
      expected.erase(cancellable[i].second);
    }
    ASSERT_TRUE(s.run());
    // Events added while running were scheduled after everything before
    // them, at now + delay: the reference has them in place already.
    std::vector<int> want;
    for (const auto& [key, label] : expected) want.push_back(label);
    EXPECT_EQ(ran, want) << "seed " << seed;
    EXPECT_TRUE(s.empty());
  }
}

}  // namespace
}  // namespace meshsim::sim
