// A program that leaves main with work still running on a pool of static
// storage duration, and submits more from an exit handler registered after the
// pool was made [SHUT-EXIT-1]. Run by the test CORPUS_gh109047_... (in
// corpus_thread.cpp), which expects "banana" then "apple" on stdout, nothing
// on stderr and exit status 0: the pool's destructor (static destruction,
// after the handler) waits for both calls.
#include <cstdio>
#include <cstdlib>
#include <future>

#include "cf/cf.hpp"

namespace {

cf::ThreadPoolExecutor& pool() {
  static cf::ThreadPoolExecutor instance(1);  // destroyed after the handler below runs
  return instance;
}

std::promise<void> exiting;

void print(const char* word) {
  std::puts(word);
  std::fflush(stdout);
}

}  // namespace

int main() {
  std::shared_future<void> at_exit = exiting.get_future().share();
  // Still running when main returns: it waits for the exit handler.
  pool().submit([at_exit] {
    at_exit.wait();
    print("banana");
  });
  std::atexit([] {
    pool().submit([] { print("apple"); });
    exiting.set_value();
  });
  return 0;
}
