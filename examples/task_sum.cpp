// cf_example_task_sum — seed 004 ("Multi-threading", ThreadPoolExecutor).
//
// Mirrors the seed's task(name), which logs, sums range(10001) and returns
// 50005000, run two ways:
//   main1  executor = ThreadPoolExecutor(max_workers=3); two submit() calls,
//          then print(task1.result()), print(task2.result())
//   main2  with ThreadPoolExecutor(max_workers=3) as executor:
//          print(list(executor.map(task, ['First', 'Second', 'Third', 'Fourth'])))
// The seed's main1 passes the tuple ('First',) as the name, so its log reads
// "Sub-Thread ('First',): starting"; that text is kept.
#include <cstdio>
#include <string>
#include <vector>

#include "cf/cf.hpp"
#include "python_style.hpp"

namespace {

using examples::log_info;

int task(const std::string& name) {
  log_info("Sub-Thread %s: starting", name.c_str());
  int result = 0;
  for (int i = 0; i < 10001; ++i) result += i;
  log_info("Sub-Thread %s: finishing result: %d", name.c_str(), result);
  return result;
}

void main1() {
  log_info("Main-Thread : before creating and running thread");
  cf::ThreadPoolExecutor executor(3);
  auto task1 = executor.submit(task, std::string("('First',)"));
  auto task2 = executor.submit(task, std::string("('Second',)"));
  std::printf("%d\n", task1.result());
  std::printf("%d\n", task2.result());
}

void main2() {
  log_info("Main-Thread : before creating and running thread");
  std::vector<int> results;
  {
    cf::ThreadPoolExecutor executor(3);
    const std::vector<std::string> names = {"First", "Second", "Third", "Fourth"};
    for (int r : executor.map(task, names)) results.push_back(r);
  }
  std::string out = "[";
  for (std::size_t i = 0; i < results.size(); ++i) {
    out += (i ? ", " : "") + std::to_string(results[i]);
  }
  std::printf("%s]\n", out.c_str());
}

}  // namespace

int main() {
  main1();
  main2();
  return 0;
}
