// cf_stress — the jcstress-style stress harness of cfspec (see stress/README.md).
//
// Exit codes: 0 every run clean; 1 a forbidden outcome, a lost task, a leaked
// fd or child process, or (soak) drifting RSS / fd counts; 2 bad command
// line; 3 a hang caught by the watchdog (stacks printed).
#include <fnmatch.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "cf/detail/schedule_point.hpp"
#include "cf/log.hpp"
#include "cf/process_pool.hpp"
#include "runner.hpp"

namespace cf::stress {
namespace {

std::uint64_t mix(std::uint64_t seed, const std::string& name, Backend backend) {
  std::uint64_t h =
      seed ^ 0x9e3779b97f4a7c15ULL ^ (backend == Backend::kProcess ? 0x5bd1e995ULL : 0);
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ULL;
  return h;
}

void print_outcome_table(const Scenario& s) {
  std::printf("%s  (%d actors; backends:", s.name.c_str(), s.actors);
  for (auto b : s.backends) std::printf(" %s", backend_name(b));
  std::printf(")\n  %s\n", s.description.c_str());
  for (const auto& o : s.outcomes) {
    std::printf("    %-28s %-11s %s\n", o.id.c_str(), verdict_name(o.verdict), o.meaning.c_str());
  }
  std::printf("    %-28s %-11s %s\n", "(anything else)", "FORBIDDEN",
              "an outcome the table does not name");
}

void print_histogram(const Tally& t) {
  std::printf("\n%s [%s]  %ld iterations in %.2f s, seed %llu\n", t.scenario->name.c_str(),
              backend_name(t.backend), t.iterations, t.seconds,
              static_cast<unsigned long long>(t.seed));
  std::printf("  %-40s %10s  %s\n", "outcome", "count", "verdict");
  for (const auto& o : t.scenario->outcomes) {
    auto it = t.counts.find(o.id);
    std::printf("  %-40s %10ld  %s\n", o.id.c_str(), it == t.counts.end() ? 0L : it->second,
                verdict_name(o.verdict));
  }
  for (const auto& [outcome, count] : t.counts) {
    bool named = std::any_of(t.scenario->outcomes.begin(), t.scenario->outcomes.end(),
                             [&](const Outcome& o) { return o.id == outcome; });
    if (!named) std::printf("  %-40s %10ld  FORBIDDEN (unexpected)\n", outcome.c_str(), count);
  }
  for (const auto& f : t.failures) std::printf("  FAIL: %s\n", f.c_str());
}

nlohmann::json to_json(const Tally& t) {
  nlohmann::json outcomes = nlohmann::json::object();
  for (const auto& [outcome, count] : t.counts) {
    outcomes[outcome] = {{"count", count}, {"verdict", verdict_name(t.verdict_of(outcome))}};
  }
  return {{"scenario", t.scenario->name},
          {"backend", backend_name(t.backend)},
          {"seed", t.seed},
          {"iterations", t.iterations},
          {"seconds", t.seconds},
          {"outcomes", outcomes},
          {"failures", t.failures}};
}

struct Options {
  bool list = false;
  std::vector<std::string> scenarios;
  std::string backend = "all";
  std::optional<double> duration;
  std::optional<long> iterations;
  std::optional<std::uint64_t> seed;
  std::string json;
  bool soak = false;
  bool keep_going = false;
  int hang_seconds = 60;
};

CLI::Validator positive_integer() {
  return CLI::Validator(
      [](const std::string& text) -> std::string {
        try {
          std::size_t used = 0;
          long value = std::stol(text, &used);
          return used == text.size() && value > 0 ? ""
                                                  : "must be a whole number above 0, not " + text;
        } catch (const std::exception&) {
          return "must be a whole number above 0, not " + text;
        }
      },
      "N>0");
}

int run(const Options& opt) {
  std::vector<std::pair<const Scenario*, Backend>> selected;
  const auto& all = all_scenarios();
  for (const auto& pattern : opt.scenarios) {
    bool any = std::any_of(all.begin(), all.end(), [&](const Scenario& s) {
      return fnmatch(pattern.c_str(), s.name.c_str(), 0) == 0;
    });
    if (!any) {
      std::fprintf(stderr, "cf_stress: no scenario matches '%s' (see --list)\n", pattern.c_str());
      return 2;
    }
  }
  for (const auto& s : all) {
    bool wanted =
        opt.scenarios.empty() ||
        std::any_of(opt.scenarios.begin(), opt.scenarios.end(), [&](const std::string& p) {
          return fnmatch(p.c_str(), s.name.c_str(), 0) == 0;
        });
    if (!wanted) continue;
    for (Backend b : s.backends) {
      if (opt.backend == "all" || opt.backend == backend_name(b)) selected.emplace_back(&s, b);
    }
  }
  if (opt.list) {
    for (const auto& s : all) {
      if (std::any_of(selected.begin(), selected.end(), [&](auto& p) { return p.first == &s; })) {
        print_outcome_table(s);
      }
    }
    return 0;
  }
  if (selected.empty()) {
    std::fprintf(stderr, "cf_stress: no selected scenario applies to backend '%s'\n",
                 opt.backend.c_str());
    return 2;
  }

  std::uint64_t seed = opt.seed ? *opt.seed : std::random_device{}();
  double total = opt.duration ? *opt.duration : (opt.iterations ? 0.0 : 10.0);
  std::fprintf(stderr, "[cf_stress] seed %llu, %zu runs, %s%.1f s budget, schedule points %s\n",
               static_cast<unsigned long long>(seed), selected.size(), opt.soak ? "soak, " : "",
               total, cf::detail::schedule_points_compiled() ? "on" : "compiled out");

  Runner runner(std::chrono::seconds(opt.hang_seconds));
  RunLimits limits;
  limits.iterations = opt.iterations;
  int rounds = 1;
  if (total > 0) {
    double slice = total / static_cast<double>(selected.size());
    if (opt.soak) {
      // At least five rounds, so drift has samples to show in.
      rounds = 5;
      slice = std::max(0.05, slice / rounds);
      rounds = std::max(5, static_cast<int>(total / (slice * selected.size())));
    }
    limits.budget = std::chrono::duration<double>(slice);
  }

  std::map<std::pair<const Scenario*, Backend>, Tally> tallies;
  std::vector<Resources> samples;
  std::vector<std::string> soak_failures;
  auto soak_start = std::chrono::steady_clock::now();
  std::vector<std::pair<const Scenario*, Backend>> ran;
  bool stop = false;
  for (int round = 0; round < rounds && !stop; ++round) {
    for (auto& [scenario, backend] : selected) {
      Tally t = runner.run(*scenario, backend, mix(seed, scenario->name, backend), limits);
      auto& acc = tallies[{scenario, backend}];
      if (!acc.scenario) acc = Tally{scenario, backend, t.seed, 0, 0, {}, {}};
      acc.iterations += t.iterations;
      acc.seconds += t.seconds;
      for (auto& [k, v] : t.counts) acc.counts[k] += v;
      for (auto& f : t.failures) acc.failures.push_back(f);
      if (round == 0) ran.emplace_back(scenario, backend);
      // A forbidden outcome is a finding: report it now rather than after
      // the rest of the budget (unless asked to keep going).
      if (!t.failures.empty() && !opt.keep_going) {
        stop = true;
        break;
      }
    }
    samples.push_back(Resources::now());
    if (opt.soak) {
      std::fprintf(stderr, "[cf_stress] soak round %d: rss %ld KiB, %d fds, %d children\n",
                   round + 1, samples.back().rss_kib, samples.back().fds, samples.back().children);
      if (total > 0 &&
          std::chrono::duration<double>(std::chrono::steady_clock::now() - soak_start).count() >=
              total) {
        rounds = round + 1;
        break;
      }
    }
  }
  if (opt.soak && stop) {
    // Stopped early on a finding; the drift check needs the whole run.
  } else if (opt.soak && samples.size() >= 2) {
    // The first round warms caches and allocators; flat is measured from its end.
    const auto& base = samples.front();
    const auto& last = samples.back();
    if (last.fds != base.fds) {
      soak_failures.push_back("fd count drifted: " + std::to_string(base.fds) + " -> " +
                              std::to_string(last.fds));
    }
    long allowed = std::max(16L * 1024, base.rss_kib / 5);  // allocator noise, not a leak
    if (last.rss_kib - base.rss_kib > allowed) {
      soak_failures.push_back("RSS grew " + std::to_string(base.rss_kib) + " -> " +
                              std::to_string(last.rss_kib) + " KiB over " + std::to_string(rounds) +
                              " rounds");
    }
  } else if (opt.soak) {
    soak_failures.push_back("soak needs at least two rounds; give a longer --duration");
  }

  bool failed = !soak_failures.empty();
  nlohmann::json report = {
      {"seed", seed}, {"duration", total}, {"soak", opt.soak}, {"runs", nlohmann::json::array()}};
  std::printf("cf_stress: seed %llu\n", static_cast<unsigned long long>(seed));
  for (auto& [scenario, backend] : ran) {
    auto& t = tallies[{scenario, backend}];
    print_histogram(t);
    report["runs"].push_back(to_json(t));
    if (!t.failures.empty()) {
      failed = true;
      std::printf("  replay: cf_stress --scenario '%s' --backend %s --seed %llu\n",
                  scenario->name.c_str(), backend_name(backend),
                  static_cast<unsigned long long>(seed));
    }
  }
  for (const auto& f : soak_failures) std::printf("\nSOAK FAIL: %s\n", f.c_str());
  report["soak_failures"] = soak_failures;
  report["ok"] = !failed;
  if (!opt.json.empty()) std::ofstream(opt.json) << report.dump(2) << "\n";
  std::printf("\ncf_stress: %s\n", failed ? "FAILED" : "ok");
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace cf::stress

using cf::stress::positive_integer;

int main(int argc, char** argv) {
  CF_PROCESS_WORKER_ENTRY(argc, argv);  // process-pool workers are this program [PPE-SPAWN-2]
  // Initializers that fail on purpose (liveness.*.break) are logged by cf;
  // those lines are expected, anything else still reaches stderr.
  cf::set_log_handler([](cf::LogLevel, std::string_view message) {
    if (message.find(cf::msg::kInitializerFailed) == 0) return;
    std::fprintf(stderr, "cf: %.*s\n", static_cast<int>(message.size()), message.data());
  });
  cf::stress::Options opt;
  CLI::App app{"cf_stress: jcstress-style stress scenarios for cf's executors"};
  app.add_flag("--list", opt.list, "List the scenarios with their outcome tables");
  app.add_option("--scenario", opt.scenarios, "Scenario name or glob (repeatable)");
  app.add_option("--backend", opt.backend, "thread, process or all")
      ->check(CLI::IsMember({"thread", "process", "all"}));
  app.add_option("--duration", opt.duration, "Total seconds, split across the runs")
      ->check(CLI::Validator(
          [](const std::string& text) -> std::string {
            try {
              return std::stod(text) >= 0 ? "" : "must be 0 or more seconds, not " + text;
            } catch (const std::exception&) {
              return "must be a number of seconds, not " + text;
            }
          },
          "SECONDS>=0"));
  app.add_option("--iterations", opt.iterations, "Most iterations per scenario and backend")
      ->check(positive_integer());
  app.add_option("--seed", opt.seed, "Seed of setups and schedule points (printed; replays)");
  app.add_option("--json", opt.json, "Write the results to this file as JSON");
  app.add_flag("--keep-going", opt.keep_going, "Run every scenario even after a forbidden outcome");
  app.add_flag("--soak", opt.soak, "Repeat rounds for --duration; fail if RSS or fds drift");
  app.add_option("--hang-timeout", opt.hang_seconds,
                 "Seconds without progress that count as a hang")
      ->check(positive_integer());
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  return cf::stress::run(opt);
}
