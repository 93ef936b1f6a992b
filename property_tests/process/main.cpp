// The process tests' main: a worker entry first, then GoogleTest.
#include <gtest/gtest.h>

#include "cf/process_pool.hpp"

int main(int argc, char** argv) {
  CF_PROCESS_WORKER_ENTRY(argc, argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
