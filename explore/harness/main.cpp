// cf_explore: explores the reference's protocols under the controlled
// scheduler (explore/README.md). Exit codes: 0 as expected, 1 a protocol
// failed (or a twin's bug was not found, or did not replay), 2 bad usage.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cf/log.hpp"
#include "protocol.hpp"

namespace cf::explore {
namespace {

constexpr const char* kUsage = R"(usage: cf_explore [options]
  --list                     the protocols, their clauses, actors and bounds
  --protocol NAME            the protocol to explore (default: every one; a twin build: its own)
  --strategy dfs|pct|random|all   default dfs (a twin build: all)
  --executions N             at most N executions per strategy and seed
                             (default: dfs unlimited, pct/random 20000)
  --seed S --seeds K         pct/random: seeds S..S+K-1 (default 1, 1)
  --pct-depth D              PCT's bug depth (default 3)
  --preemptions N --spurious N   override the protocol's bounds
  --replay SCHEDULE          run one printed schedule and print its trace
  --expect-failure           succeed only if every strategy finds a failure that replays
  --clauses "ID ..."         fail unless these are the protocol's clauses
  --json FILE                the figures, as JSON
)";

struct Options {
  bool list = false;
  std::string protocol = kTwinProtocol;
  std::string strategy;
  std::size_t executions = 0;
  std::uint64_t seed = 1;
  int seeds = 1;
  int pct_depth = 3;
  int preemptions = -1;
  int spurious = -1;
  std::string replay;
  bool expect_failure = false;
  std::string json;
  std::string clauses;
};

[[noreturn]] void usage_error(const std::string& what) {
  std::cerr << "cf_explore: " << what << "\n" << kUsage;
  std::exit(2);
}

long long number(const std::string& flag, const char* text) {
  char* end = nullptr;
  long long v = std::strtoll(text, &end, 10);
  if (!*text || *end || v < 0)
    usage_error(flag + " needs a non-negative number, not '" + text + "'");
  return v;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--list")
      o.list = true;
    else if (a == "--protocol")
      o.protocol = value();
    else if (a == "--strategy")
      o.strategy = value();
    else if (a == "--executions")
      o.executions = number(a, value());
    else if (a == "--seed")
      o.seed = number(a, value());
    else if (a == "--seeds")
      o.seeds = static_cast<int>(number(a, value()));
    else if (a == "--pct-depth")
      o.pct_depth = static_cast<int>(number(a, value()));
    else if (a == "--preemptions")
      o.preemptions = static_cast<int>(number(a, value()));
    else if (a == "--spurious")
      o.spurious = static_cast<int>(number(a, value()));
    else if (a == "--replay")
      o.replay = value();
    else if (a == "--expect-failure")
      o.expect_failure = true;
    else if (a == "--json")
      o.json = value();
    else if (a == "--clauses")
      o.clauses = value();
    else if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      std::exit(0);
    } else
      usage_error("unknown option '" + a + "'");
  }
  if (o.strategy.empty()) o.strategy = o.expect_failure ? "all" : "dfs";
  if (o.strategy != "dfs" && o.strategy != "pct" && o.strategy != "random" && o.strategy != "all") {
    usage_error("--strategy must be dfs, pct, random or all, not '" + o.strategy + "'");
  }
  if (o.seeds < 1) usage_error("--seeds must be at least 1");
  return o;
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

struct Run {
  std::string protocol, strategy;
  std::uint64_t seed = 0;
  Outcome outcome;
  bool replayed = false;
};

Bounds bounds_of(const Protocol& p, const Options& o) {
  Bounds b = p.bounds;
  if (o.preemptions >= 0) b.preemptions = o.preemptions;
  if (o.spurious >= 0) b.spurious = o.spurious;
  return b;
}

// Runs the failing schedule again, traced: the same failure must come back.
Outcome replay_of(const Protocol& p, const Bounds& bounds, const Outcome& found) {
  auto replay = make_replay(found.schedule);
  return explore(p.body, *replay, bounds, 1, true);
}

void print_failure(const Outcome& out) {
  std::cout << "    failure:  " << out.failure << "\n"
            << "    schedule: " << out.schedule << "\n";
}

std::vector<std::string> strategies_of(const Options& o) {
  if (o.strategy == "all") return {"dfs", "pct", "random"};
  return {o.strategy};
}

int run_protocol(const Protocol& p, const Options& o, std::vector<Run>& runs) {
  const Bounds bounds = bounds_of(p, o);
  std::cout << p.name << " [" << p.clauses << "] actors=" << p.actors
            << " bound: preemptions=" << bounds.preemptions << " spurious=" << bounds.spurious
            << "\n";
  if (!o.replay.empty()) {
    std::unique_ptr<Strategy> replay;
    try {
      replay = make_replay(o.replay);
    } catch (const std::invalid_argument& e) {
      usage_error(e.what());
    }
    Outcome out = explore(p.body, *replay, bounds, 1, true);
    if (!out.failed) {
      std::cout << "  replay: the execution ended without a failure\n";
      return 0;
    }
    print_failure(out);
    std::cout << "    trace (last steps; #N numbers objects in order of first use):\n" << out.trace;
    return 1;
  }
  int rc = 0;
  for (const std::string& name : strategies_of(o)) {
    const int seeds = name == "dfs" ? 1 : o.seeds;
    std::size_t found = 0, total_executions = 0;
    std::vector<std::size_t> to_find;
    for (int k = 0; k < seeds; ++k) {
      const std::uint64_t seed = o.seed + static_cast<std::uint64_t>(k);
      std::unique_ptr<Strategy> strategy = name == "dfs"   ? make_dfs()
                                           : name == "pct" ? make_pct(seed, o.pct_depth)
                                                           : make_random(seed);
      std::size_t budget = o.executions    ? o.executions
                           : name == "dfs" ? std::numeric_limits<std::size_t>::max()
                                           : 20000;
      Run run{p.name, name, seed, explore(p.body, *strategy, bounds, budget), false};
      const Outcome& out = run.outcome;
      total_executions += out.executions;
      std::ostringstream line;
      line << "  " << name;
      if (name != "dfs") line << " seed " << seed;
      if (out.failed) {
        ++found;
        to_find.push_back(out.executions);
        const Outcome again = replay_of(p, bounds, out);
        run.replayed = again.failed && again.failure == out.failure;
        line << ": FAILED after " << out.executions << " executions (" << out.seconds << " s, cpu "
             << out.cpu_seconds << " s); replay "
             << (run.replayed ? "reproduces it" : "DOES NOT reproduce it");
        std::cout << line.str() << "\n";
        print_failure(out);
        if (!o.expect_failure || !run.replayed) rc = 1;
        if (!o.expect_failure && k + 1 == seeds) std::cout << "    trace:\n" << again.trace;
      } else {
        line << ": " << (out.exhausted ? "exhausted" : "budget spent") << " after "
             << out.executions << " executions, longest " << out.max_steps_seen << " steps ("
             << out.seconds << " s, cpu " << out.cpu_seconds << " s): ok";
        std::cout << line.str() << "\n";
        if (o.expect_failure) rc = 1;
      }
      runs.push_back(std::move(run));
    }
    if (o.expect_failure && seeds > 1) {
      std::sort(to_find.begin(), to_find.end());
      std::cout << "  " << name << ": found by " << found << " of " << seeds << " seeds";
      if (!to_find.empty())
        std::cout << ", median " << to_find[to_find.size() / 2] << " executions to find";
      std::cout << "\n";
    }
  }
  return rc;
}

void write_json(const std::string& path, const std::vector<Run>& runs) {
  std::ofstream out(path);
  out << "{\"twin\": \"" << json_escape(kTwinName) << "\", \"runs\": [\n";
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const Run& r = runs[i];
    out << "  {\"protocol\": \"" << r.protocol << "\", \"strategy\": \"" << r.strategy
        << "\", \"seed\": " << r.seed << ", \"executions\": " << r.outcome.executions
        << ", \"exhausted\": " << (r.outcome.exhausted ? "true" : "false")
        << ", \"failed\": " << (r.outcome.failed ? "true" : "false")
        << ", \"replayed\": " << (r.replayed ? "true" : "false")
        << ", \"seconds\": " << r.outcome.seconds << ", \"cpu_seconds\": " << r.outcome.cpu_seconds
        << ", \"longest\": " << r.outcome.max_steps_seen << ", \"failure\": \""
        << json_escape(r.outcome.failure) << "\", \"schedule\": \""
        << json_escape(r.outcome.schedule) << "\"}" << (i + 1 < runs.size() ? "," : "") << "\n";
  }
  out << "]}\n";
}

}  // namespace
}  // namespace cf::explore

int main(int argc, char** argv) {
  using namespace cf::explore;
  Options o = parse(argc, argv);
  // The protocols judge outcomes, not log lines; a failing initializer would
  // otherwise log once per execution.
  cf::set_log_handler([](cf::LogLevel, std::string_view) {});
  if (*kTwinName) std::cout << "twin " << kTwinName << ": " << kTwinBug << "\n";
  if (o.list) {
    for (const Protocol& p : protocols()) {
      std::cout << p.name << "\n  clauses: " << p.clauses << "\n  actors: " << p.actors
                << ", bound: preemptions=" << p.bounds.preemptions
                << " spurious=" << p.bounds.spurious << "\n  " << p.description << "\n";
    }
    return 0;
  }
  std::vector<const Protocol*> chosen;
  for (const Protocol& p : protocols()) {
    if (o.protocol.empty() || p.name == o.protocol) chosen.push_back(&p);
  }
  if (chosen.empty()) usage_error("no protocol named '" + o.protocol + "' (see --list)");
  if (!o.replay.empty() && chosen.size() != 1) usage_error("--replay needs --protocol");
  if (!o.clauses.empty() && (chosen.size() != 1 || chosen[0]->clauses != o.clauses)) {
    std::cerr << "cf_explore: the clauses given (" << o.clauses << ") are not the protocol's ("
              << chosen[0]->clauses << "): update explore/protocols.cmake\n";
    return 1;
  }
  std::vector<Run> runs;
  int rc = 0;
  for (const Protocol* p : chosen) rc |= run_protocol(*p, o, runs);
  if (!o.json.empty()) write_json(o.json, runs);
  std::cout << (rc == 0 ? "cf_explore: ok" : "cf_explore: FAILED") << "\n";
  return rc;
}
