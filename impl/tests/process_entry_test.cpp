// This binary's main (gtest_main) lacks CF_PROCESS_WORKER_ENTRY: a process
// pool must refuse to start with a clear error, never spawn a copy of this
// program that would run its main again [PPE-SPAWN-2].
#include <gtest/gtest.h>

#include <string>

#include "cf/process_pool.hpp"

// This binary deliberately lacks the worker entry, so it cannot host the
// conformance harness; it names its clause for ci/check_clauses like a suite test.
#define CF_CLAUSES(...) ::testing::Test::RecordProperty("clauses", #__VA_ARGS__)

namespace {

TEST(ProcessPoolWithoutWorkerEntry, ConstructorThrowsLogicError) {
  CF_CLAUSES("PPE-SPAWN-2");
  try {
    cf::ProcessPoolExecutor pool(2);
    FAIL() << "the pool started without a worker entry";
  } catch (const std::logic_error& e) {
    EXPECT_NE(std::string(e.what()).find("CF_PROCESS_WORKER_ENTRY(argc, argv)"), std::string::npos);
  }
}

}  // namespace
