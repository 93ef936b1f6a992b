// cf_example_load_url — seed 003 ("파이썬의 새로운 병렬처리 API – Concurrent.futures").
//
// Mirrors the seed's three programs (it imports `ThreadPoolExecutor as PE`;
// the primes program is its "ProcessPoolExecutor example", CPU work spread
// over processes, so it runs on cf::ProcessPoolExecutor, with is_prime
// registered for the workers and main starting with CF_PROCESS_WORKER_ENTRY):
//   as_completed  fs = {exe.submit(load_url, url): url for url in URLS}, then
//                 for f in as_completed(fs): print '[url] has N characters.'
//                 or 'Fail to open : url'
//   primes        for num, prime in zip(PRIMES, exe.map(is_prime, PRIMES))
//   submit        f = exe.submit(load_url, ...); is_prime(num) on this thread
//                 meanwhile; then f.result() when the page is needed
// Run one with its name as the argument, or all three with none.
//
// No network: load_url sleeps 20-80 ms (scaled down from urlopen's real wait;
// the seed's timeout=1 becomes 100 ms) and returns a fake page of a fixed size
// per URL. 'http://europe.wsj.com' is slower than the timeout, so it fails and
// shows the exception path. Completion order is by simulated latency, not by
// the order of URLS, which is the point the seed makes.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "cf/cf.hpp"
#include "python_style.hpp"

namespace {

using namespace std::chrono_literals;

const std::vector<std::string> URLS = {"http://www.foxnews.com", "http://www.cnn.com",
                                       "http://europe.wsj.com", "http://www.bbc.co.uk"};

struct FakeSite {
  std::chrono::milliseconds latency;
  std::size_t size;
};

// Latencies chosen so the completion order differs from the order of URLS.
const std::map<std::string, FakeSite, std::less<>> kSites = {
    {"http://www.foxnews.com", {80ms, 318'482}},
    {"http://www.cnn.com", {20ms, 1'127'315}},
    {"http://europe.wsj.com", {160ms, 0}},
    {"http://www.bbc.co.uk", {50ms, 265'713}},
    {"http://some.where.com", {60ms, 12'345}}};

// urlopen(url, timeout=1).read(), simulated.
std::string load_url(const std::string& url) {
  constexpr auto kTimeout = 100ms;  // the seed's timeout=1, scaled down
  const FakeSite& site = kSites.at(url);
  if (site.latency > kTimeout) {
    std::this_thread::sleep_for(kTimeout);
    throw std::runtime_error("<urlopen error timed out>");
  }
  std::this_thread::sleep_for(site.latency);
  return std::string(site.size, 'x');
}

void main_as_completed() {
  cf::ThreadPoolExecutor exe;
  std::unordered_map<cf::AnyFuture, std::string, cf::AnyFuture::Hash> fs;
  std::vector<cf::Future<std::string>> futures;
  for (const std::string& url : URLS) {
    auto f = exe.submit(load_url, url);
    fs.emplace(f, url);
    futures.push_back(f);
  }
  for (const cf::AnyFuture& f : cf::as_completed(futures)) {
    const std::string& url = fs.at(f);
    try {
      std::string data = f.as<std::string>().result();
      std::printf("[%s] has %zu characters.\n", url.c_str(), data.size());
    } catch (const std::exception&) {
      std::printf("Fail to open : %s\n", url.c_str());
    }
  }
}

const std::vector<std::int64_t> PRIMES = {112272535095293, 112582705942171, 112272535095293,
                                          115280095190773, 115797848077099, 1099726899285419};

// The seed's trial division, kept as written: it never tests k = 2, which is
// harmless here because every input is odd.
bool is_prime(std::int64_t n) {
  if (n < 2) return false;
  if (n == 2 || n == 3) return true;
  auto limit = static_cast<std::int64_t>(std::sqrt(static_cast<double>(n)) + 1.5);
  for (std::int64_t k = 3; k < limit; k += 2) {
    if (n % k == 0) return false;
  }
  return true;
}
CF_REGISTER_TASK(is_prime);

void main_primes() {
  cf::ProcessPoolExecutor exe;
  std::size_t i = 0;
  for (bool prime : exe.map(is_prime, PRIMES)) {
    std::printf("%lld is prime: %s\n", static_cast<long long>(PRIMES[i++]),
                examples::py_bool(prime));
  }
}

void main_submit() {
  cf::ThreadPoolExecutor exe;
  const std::int64_t num = 115797848077099;
  // Fetch the page on a worker thread ...
  auto f = exe.submit(load_url, std::string("http://some.where.com"));

  // ... while this thread does the primality test.
  bool prime = is_prime(num);
  std::printf("%lld is prime: %s\n", static_cast<long long>(num), examples::py_bool(prime));

  // Now the page is needed.
  std::string data = f.result();
  std::printf("The page is %zu bytes.\n", data.size());
  exe.shutdown(true);
}

}  // namespace

int main(int argc, char** argv) {
  CF_PROCESS_WORKER_ENTRY(argc, argv);  // in a worker: its loop, then exit
  std::string_view which = argc > 1 ? argv[1] : "all";
  if (which != "all" && which != "as_completed" && which != "primes" && which != "submit") {
    std::fprintf(stderr, "usage: %s [as_completed|primes|submit|all]\n", argv[0]);
    return 2;
  }
  if (which == "as_completed" || which == "all") main_as_completed();
  if (which == "primes" || which == "all") main_primes();
  if (which == "submit" || which == "all") main_submit();
  return 0;
}
