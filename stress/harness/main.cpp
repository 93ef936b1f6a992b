// cf_stress_<column> — the jcstress-style stress scenarios of cfspec against
// one implementation, the column's adapter (see stress/README.md).
//
// Every scenario runs in two phases by default: quiet, then with schedule
// noise (noise.hpp: at the adapter boundary, in probes, and through the
// preloaded shim inside the implementation). With CF_REPORT_DIR set, each
// scenario leaves a record beside the conformance suite's
// ($CF_REPORT_DIR/<implementation>/Stress.<scenario>.json): every iteration
// is a verdict on each clause the outcome table names; a forbidden outcome is
// a failure of its row's clause, with its count, the seed and a replay line.
//
// Exit codes: 0 every run clean; 1 a forbidden outcome, an outcome the table
// does not name, a leaked fd or child process, or (soak) drifting RSS / fds;
// 2 bad command line; 3 a hang caught by the watchdog (stacks printed);
// 77 every selected scenario is n/a here (missing capabilities).
#include <fnmatch.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "cf/process_pool.hpp"
#include "check.hpp"
#include "noise.hpp"
#include "record.hpp"
#include "runner.hpp"
#include "sanitizer.hpp"

namespace cf::stress {
namespace {

namespace cc = cf::conformance;

std::uint64_t mix(std::uint64_t seed, const std::string& name) {
  std::uint64_t h = seed ^ 0x9e3779b97f4a7c15ULL;
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ULL;
  return h;
}

struct Options {
  bool list = false;
  bool list_names = false;
  std::vector<std::string> scenarios;
  std::optional<double> duration;
  std::optional<long> iterations;
  std::optional<std::uint64_t> seed;
  std::string noise = "both";
  std::string json;
  bool soak = false;
  bool keep_going = false;
  bool stop_at_forbidden = false;
  int hang_seconds = 60;
};

std::string program_path() {
  char exe[4096] = {};
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  return n > 0 ? std::string(exe, static_cast<std::size_t>(n)) : "cf_stress";
}

std::string replay_line(const Scenario& s, std::uint64_t seed, bool noise, double seconds) {
  char budget[32];
  std::snprintf(budget, sizeof budget, "%.0f", std::max(10.0, seconds));
  return cc::replay_environment(/*with_noise=*/false) + program_path() + " --scenario '" + s.name +
         "' --seed " + std::to_string(seed) + " --noise " + (noise ? "on" : "off") +
         " --duration " + budget;
}

// A library may open process-wide resources on its first use (a pool's
// global thread data, an eventfd, a logging pipe), some sized by the most
// workers it has run at once (MPI's connections to its ranks). Executors of
// the default size and of the most workers a scenario asks for, each used
// once and destroyed before the first phase, take them, so that a phase's
// leak check sees only what the scenario's iterations leave behind. The
// largest first: a library that keeps workers for later executors of at most
// that size (cf::MpiPoolExecutor's ranks) then starts them once. A failure
// here is no verdict: the scenario meets it again and reports it.
void warm_up(std::uint64_t seed) {
  std::vector<std::optional<int>> sizes = {Stage::kMostWorkers, std::nullopt};
  for (auto workers : sizes) {
    try {
      Stage stage(seed);
      if (workers && !stage.has(cc::Cap::kMaxWorkers)) continue;
      auto ex = stage.executor(workers);
      auto f = ex->submit(cc::Probe::value_of(0));
      (void)f->result(std::chrono::seconds(30));
      ex->shutdown(true, false);
    } catch (...) {
    }
  }
}

std::string missing_here(const Scenario& s) {
  return cc::missing_caps(cc::implementation().caps(), s.all_needs());
}

// --- what one scenario has shown so far (for the record, the hang report,
// and a sanitizer's death) -----------------------------------------------------

struct Result {
  const Scenario* scenario = nullptr;
  std::uint64_t seed = 0;
  std::vector<Tally> phases;
  cc::TestState sanitizer;  // what the sanitizer reported while it ran
};

std::mutex g_mutex;
Result g_current;  // the scenario running now
std::uint64_t g_master_seed = 0;

// Turns a scenario's phases into verdicts and findings in the run state.
void charge(const Result& r) {
  const Scenario& s = *r.scenario;
  long total = 0;
  for (const auto& t : r.phases) total += t.iterations;
  for (const auto& clause : s.clauses()) {
    long failed = 0;
    for (const auto& t : r.phases) {
      for (const auto& [outcome, count] : t.counts) {
        const auto* row = t.row_of(outcome);
        if (row && row->verdict == Verdict::kForbidden && row->clause && clause == row->clause)
          failed += count;
      }
    }
    cc::run::tally(clause, total - failed, failed);
  }
  for (const auto& t : r.phases) {
    std::string setting = t.noise ? "with noise" : "quiet";
    std::string replay = replay_line(s, g_master_seed, t.noise, t.seconds);
    for (const auto& [outcome, count] : t.counts) {
      const auto* row = t.row_of(outcome);
      if (row && row->verdict != Verdict::kForbidden) continue;
      std::string figures = "x" + std::to_string(count) + " in " + std::to_string(t.iterations) +
                            " iterations (" + setting + ", seed " + std::to_string(g_master_seed) +
                            ")";
      if (row && row->clause) {
        cc::run::add_finding({row->clause, "stress",
                              "[" + std::string(row->clause) + "] " + s.name +
                                  ": forbidden outcome '" + outcome + "' " + figures + ": " +
                                  row->meaning,
                              s.file(), "stress " + s.name + ": " + outcome, replay});
      } else {
        // The catch-all: no row names a clause, so none is charged.
        std::string what = row ? "forbidden outcome '" + outcome + "' (" + row->meaning + ")"
                               : "an outcome the table does not name: '" + outcome + "'";
        cc::run::add_finding({"", "stress", s.name + ": " + what + " " + figures, s.file(),
                              "stress " + s.name + ": " + (row ? outcome : "unnamed outcome"),
                              replay});
      }
    }
    for (const auto& problem : t.problems) {
      cc::run::add_finding({"", "stress", s.name + " (" + setting + "): " + problem, s.file(),
                            "stress: " + problem.substr(0, problem.find(':')), replay});
    }
  }
}

nlohmann::json figures(const Result& r) {
  nlohmann::json phases = nlohmann::json::array();
  for (const auto& t : r.phases) {
    nlohmann::json outcomes = nlohmann::json::object();
    for (const auto& [outcome, count] : t.counts) {
      const auto* row = t.row_of(outcome);
      outcomes[outcome] = {{"count", count},
                           {"verdict", verdict_name(t.verdict_of(outcome))},
                           {"clause", row && row->clause ? row->clause : ""}};
    }
    phases.push_back({{"noise", t.noise},
                      {"iterations", t.iterations},
                      {"seconds", t.seconds},
                      {"rate", t.rate()},
                      {"distinct", t.counts.size()},
                      {"outcomes", outcomes},
                      {"problems", t.problems}});
  }
  return {{"scenario", r.scenario->name},
          {"description", r.scenario->description},
          {"source", r.scenario->source},
          {"file", r.scenario->file()},
          {"seed", g_master_seed},
          {"shim", cc::noise::shim_loaded() ? "loaded" : cc::noise::shim_unavailable_reason()},
          {"phases", phases}};
}

cc::RecordExtra extra_of(const Result& r) {
  cc::RecordExtra extra;
  extra.evidence = "stress";
  extra.judges = r.scenario->clauses();
  extra.stress_json = figures(r).dump();
  return extra;
}

std::string test_name(const Scenario& s) { return "Stress." + s.name; }

void write(const Result& r, const std::string& detail) {
  for (const auto& f : r.sanitizer.findings) cc::run::add_finding(f);
  for (const auto& [clause, n] : r.sanitizer.counts) cc::run::tally(clause, n.pass, n.fail);
  if (!r.sanitizer.inconclusive.empty()) cc::run::set_inconclusive(r.sanitizer.inconclusive);
  auto state = cc::run::snapshot();
  cc::write_record(test_name(*r.scenario), cc::final_status(state, false), state, detail,
                   extra_of(r));
}

void on_hang(Runner* runner, const std::string& what) {
  Result r;
  {
    std::lock_guard lock(g_mutex);
    r = g_current;
  }
  if (!r.scenario) return;
  r.phases.push_back(runner->current());
  charge(r);  // beside the in-progress steps the run state already holds
  auto clauses = cc::run::in_progress_clauses();
  std::string doing = cc::run::in_progress_text();
  std::string message = "hang: " + what + (doing.empty() ? std::string() : ", in " + doing);
  for (const auto& clause : clauses) {
    cc::run::add_finding({clause, "hang", "[" + clause + "] " + message, r.scenario->file(),
                          "hang in " + doing,
                          replay_line(*r.scenario, g_master_seed, r.phases.back().noise, 60)});
  }
  if (clauses.empty()) cc::run::set_inconclusive(message + " (outside any clause's step)");
  cc::sanitizer::charge(replay_line(*r.scenario, g_master_seed, r.phases.back().noise, 60));
  write(r, message);
}

Runner* g_runner = nullptr;

void on_sanitizer_death() {
  Result r;
  {
    std::lock_guard lock(g_mutex);
    r = g_current;
  }
  if (!r.scenario || !g_runner) return;
  r.phases.push_back(g_runner->current());
  cc::run::reset();
  charge(r);
  cc::sanitizer::charge(replay_line(*r.scenario, g_master_seed, r.phases.back().noise, 60));
  write(r, "a sanitizer report ended the run");
}

// --- printing ----------------------------------------------------------------

void print_outcome_table(const Scenario& s) {
  auto missing = missing_here(s);
  std::printf("%s  (%d actors)%s\n  %s\n", s.name.c_str(), s.actors,
              missing.empty() ? "" : ("  n/a here: missing capability " + missing).c_str(),
              s.description.c_str());
  if (!s.source.empty()) std::printf("  after: %s\n", s.source.c_str());
  for (const auto& o : s.outcomes) {
    std::printf("    %-28s %-11s %-15s %s\n", o.id.c_str(), verdict_name(o.verdict),
                o.clause ? o.clause : "", o.meaning.c_str());
  }
  std::printf("    %-28s %-11s %-15s %s\n", "(anything else)", "FORBIDDEN", "",
              "an outcome the table does not name");
}

void print_histogram(const Tally& t) {
  std::printf("\n%s [%s]  %ld iterations in %.2f s (%.0f/s), %zu distinct outcomes\n",
              t.scenario->name.c_str(), t.noise ? "noise" : "quiet", t.iterations, t.seconds,
              t.rate(), t.counts.size());
  std::printf("  %-40s %10s  %s\n", "outcome", "count", "verdict");
  for (const auto& o : t.scenario->outcomes) {
    auto it = t.counts.find(o.id);
    std::printf("  %-40s %10ld  %s%s%s\n", o.id.c_str(), it == t.counts.end() ? 0L : it->second,
                verdict_name(o.verdict), o.clause ? " " : "", o.clause ? o.clause : "");
  }
  for (const auto& [outcome, count] : t.counts) {
    if (!t.row_of(outcome))
      std::printf("  %-40s %10ld  FORBIDDEN (unexpected)\n", outcome.c_str(), count);
  }
  for (const auto& p : t.problems) std::printf("  FAIL: %s\n", p.c_str());
}

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

bool failed(const Tally& t) { return t.forbidden() > 0 || !t.problems.empty(); }

int run(const Options& opt) {
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
  std::vector<const Scenario*> selected;
  for (const auto& s : all) {
    bool wanted =
        opt.scenarios.empty() ||
        std::any_of(opt.scenarios.begin(), opt.scenarios.end(), [&](const std::string& p) {
          return fnmatch(p.c_str(), s.name.c_str(), 0) == 0;
        });
    if (wanted) selected.push_back(&s);
  }
  if (opt.list_names) {
    for (const auto* s : selected) std::printf("%s\n", s->name.c_str());
    return 0;
  }
  if (opt.list) {
    std::printf("implementation: %s\n\n", cc::implementation().name().c_str());
    for (const auto* s : selected) print_outcome_table(*s);
    return 0;
  }

  std::vector<const Scenario*> runnable;
  for (const auto* s : selected) {
    auto missing = missing_here(*s);
    if (missing.empty()) {
      runnable.push_back(s);
      continue;
    }
    std::printf("%s: n/a for %s (missing capability %s)\n", s->name.c_str(),
                cc::implementation().name().c_str(), missing.c_str());
    cc::run::reset();
    Result r;
    r.scenario = s;
    cc::write_record(test_name(*s), "n/a", cc::run::snapshot(),
                     "n/a: missing capability " + missing, extra_of(r));
  }
  if (runnable.empty()) return 77;

  std::uint64_t seed = opt.seed ? *opt.seed : std::random_device{}();
  if (!opt.seed) {
    if (const char* s = std::getenv("CF_STRESS_SEED"); s && *s)
      seed = std::strtoull(s, nullptr, 10);
  }
  g_master_seed = seed;
  std::vector<bool> settings;
  if (opt.noise != "on") settings.push_back(false);
  if (opt.noise != "off") settings.push_back(true);
  double total = opt.duration ? *opt.duration : (opt.iterations ? 0.0 : 10.0);
  std::string shim = cc::noise::shim_loaded() ? "the shim reaches inside the implementation"
                                              : cc::noise::shim_unavailable_reason();
  std::fprintf(
      stderr,
      "[cf_stress] %s: seed %llu, %zu scenarios x %zu settings, %s%.1f s budget; noise: %s\n",
      cc::implementation().name().c_str(), static_cast<unsigned long long>(seed), runnable.size(),
      settings.size(), opt.soak ? "soak, " : "", total, opt.noise == "off" ? "off" : shim.c_str());

  Runner runner(std::chrono::seconds(opt.hang_seconds),
                [&](const std::string& what) { on_hang(&runner, what); });
  g_runner = &runner;
  RunLimits limits;
  limits.iterations = opt.iterations;
  limits.stop_at_forbidden = opt.stop_at_forbidden;
  int rounds = 1;
  const double runs = static_cast<double>(runnable.size() * settings.size());
  if (total > 0) {
    double slice = total / runs;
    if (opt.soak) {
      rounds = 5;  // at least five rounds, so drift has samples to show in
      slice = std::max(0.05, slice / rounds);
      rounds = std::max(5, static_cast<int>(total / (slice * runs)));
    }
    limits.budget = std::chrono::duration<double>(slice);
  }

  std::vector<Result> results;
  for (const auto* s : runnable) {
    Result r;
    r.scenario = s;
    r.seed = mix(seed, s->name);
    results.push_back(r);
  }
  warm_up(seed);
  std::vector<Resources> samples;
  auto soak_start = std::chrono::steady_clock::now();
  bool stop = false;
  for (int round = 0; round < rounds && !stop; ++round) {
    for (auto& r : results) {
      {
        std::lock_guard lock(g_mutex);
        g_current = r;
      }
      cc::run::reset();
      for (bool noise : settings) {
        Tally t = runner.run(*r.scenario, r.seed, noise, limits);
        auto it = std::find_if(r.phases.begin(), r.phases.end(),
                               [&](const Tally& p) { return p.noise == noise; });
        if (it == r.phases.end()) {
          r.phases.push_back(t);
        } else {
          it->iterations += t.iterations;
          it->seconds += t.seconds;
          for (auto& [k, v] : t.counts) it->counts[k] += v;
          for (auto& p : t.problems) it->problems.push_back(p);
        }
        std::lock_guard lock(g_mutex);
        g_current = r;
      }
      // Sanitizer reports written while it ran are this scenario's.
      cc::run::reset();
      cc::sanitizer::charge(replay_line(*r.scenario, seed, settings.back(), total));
      auto seen = cc::run::snapshot();
      for (auto& f : seen.findings) r.sanitizer.findings.push_back(f);
      for (auto& [clause, n] : seen.counts) r.sanitizer.counts.emplace_back(clause, n);
      if (r.sanitizer.inconclusive.empty()) r.sanitizer.inconclusive = seen.inconclusive;
      if (std::any_of(r.phases.begin(), r.phases.end(), failed) && !opt.keep_going) {
        stop = true;  // a finding: report it now rather than after the rest of the budget
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
  {
    std::lock_guard lock(g_mutex);
    g_current = {};
  }
  // The records: each scenario's verdicts, findings and figures.
  for (const auto& r : results) {
    if (r.phases.empty()) continue;
    cc::run::reset();
    charge(r);
    write(r, "");
  }

  std::vector<std::string> soak_failures;
  if (opt.soak && !stop && samples.size() >= 2) {
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
  } else if (opt.soak && !stop) {
    soak_failures.push_back("soak needs at least two rounds; give a longer --duration");
  }

  bool any_failed = !soak_failures.empty();
  nlohmann::json report = {{"implementation", cc::implementation().name()},
                           {"seed", seed},
                           {"duration", total},
                           {"soak", opt.soak},
                           {"runs", nlohmann::json::array()}};
  std::printf("cf_stress: %s, seed %llu\n", cc::implementation().name().c_str(),
              static_cast<unsigned long long>(seed));
  for (const auto& r : results) {
    if (r.phases.empty()) continue;
    for (const auto& t : r.phases) print_histogram(t);
    report["runs"].push_back(figures(r));
    for (const auto& t : r.phases) {
      if (!failed(t)) continue;
      any_failed = true;
      std::printf("  replay: %s\n", replay_line(*r.scenario, seed, t.noise, t.seconds).c_str());
    }
  }
  for (const auto& f : soak_failures) std::printf("\nSOAK FAIL: %s\n", f.c_str());
  report["soak_failures"] = soak_failures;
  report["ok"] = !any_failed;
  if (!opt.json.empty()) std::ofstream(opt.json) << report.dump(2) << "\n";
  std::printf("\ncf_stress: %s\n", any_failed ? "FAILED" : "ok");
  g_runner = nullptr;
  return any_failed ? 1 : 0;
}

}  // namespace
}  // namespace cf::stress

int main(int argc, char** argv) {
  CF_PROCESS_WORKER_ENTRY(argc, argv);  // process-pool workers are this program [PPE-SPAWN-2]
  cf::stress::Options opt;
  CLI::App app{"cf_stress: jcstress-style stress scenarios against one implementation"};
  app.add_flag("--list", opt.list, "List the scenarios with their outcome tables and clauses");
  app.add_flag("--list-names", opt.list_names, "List the scenarios' names only");
  app.add_option("--scenario", opt.scenarios, "Scenario name or glob (repeatable)");
  app.add_option("--duration", opt.duration,
                 "Total seconds, split across scenarios and noise settings")
      ->check(CLI::Validator(
          [](const std::string& text) -> std::string {
            try {
              return std::stod(text) >= 0 ? "" : "must be 0 or more seconds, not " + text;
            } catch (const std::exception&) {
              return "must be a number of seconds, not " + text;
            }
          },
          "SECONDS>=0"));
  app.add_option("--iterations", opt.iterations, "Most iterations per scenario and noise setting")
      ->check(cf::stress::positive_integer());
  app.add_option("--seed", opt.seed, "Seed of setups and noise (printed; replays)");
  app.add_option("--noise", opt.noise, "off, on, or both (quiet, then noisy; the default)")
      ->check(CLI::IsMember({"off", "on", "both"}));
  app.add_option("--json", opt.json, "Write the results to this file as JSON");
  app.add_flag("--keep-going", opt.keep_going, "Run every scenario even after a forbidden outcome");
  app.add_flag("--stop-at-first", opt.stop_at_forbidden,
               "End a scenario's run at its first forbidden outcome (time to find a bug)");
  app.add_flag("--soak", opt.soak, "Repeat rounds for --duration; fail if RSS or fds drift");
  app.add_option("--hang-timeout", opt.hang_seconds,
                 "Seconds without progress that count as a hang")
      ->check(cf::stress::positive_integer());
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  if (!opt.list && !opt.list_names) {
    cf::conformance::noise::preload_shim(argv, opt.noise != "off");
    cf::conformance::sanitizer::install(cf::stress::on_sanitizer_death);
  }
  return cf::stress::run(opt);
}
