// explore/harness/protocol.hpp — a protocol of the reference, explored.
//
// A protocol is a body that runs as task 0 of every execution: it builds
// the objects under test, starts its actors (run_actors), and checks the
// clauses it names with check(). Each protocol file registers one or more
// with CF_EXPLORE_PROTOCOL; cf_explore (harness/main.cpp) lists and runs them.
#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "cf/explore/engine.hpp"

namespace cf::explore {

struct Protocol {
  std::string name;         // "<area>.<protocol>", also the ctest name
  std::string clauses;      // the spec clauses its checks judge, space-separated
  std::string description;  // one sentence
  int actors = 0;           // threads that race, the pool's workers included
  Bounds bounds;
  std::function<void()> body;
};

int register_protocol(Protocol protocol);
const std::vector<Protocol>& protocols();

// A twin binary's name, the protocol that must catch its bug, and the bug
// (harness/no_twin.cpp: empty; a twin build generates its own).
extern const char* const kTwinName;
extern const char* const kTwinProtocol;
extern const char* const kTwinBug;

// Starts each actor as a thread of the policy (a task here) and joins them all.
void run_actors(std::initializer_list<std::function<void()>> actors);

}  // namespace cf::explore

#define CF_EXPLORE_CONCAT2(a, b) a##b
#define CF_EXPLORE_CONCAT(a, b) CF_EXPLORE_CONCAT2(a, b)
#define CF_EXPLORE_PROTOCOL(...)                                                        \
  static const int CF_EXPLORE_CONCAT(cf_explore_protocol_, __LINE__) [[maybe_unused]] = \
      ::cf::explore::register_protocol(::cf::explore::Protocol{__VA_ARGS__})
