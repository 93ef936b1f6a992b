#include "sanitizer.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <link.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <sstream>
#include <utility>

#include "check.hpp"

#if defined(__has_feature)
#if __has_feature(thread_sanitizer) && !defined(__SANITIZE_THREAD__)
#define __SANITIZE_THREAD__ 1
#endif
#if __has_feature(address_sanitizer) && !defined(__SANITIZE_ADDRESS__)
#define __SANITIZE_ADDRESS__ 1
#endif
#endif
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define CF_SANITIZED 1
#endif

namespace cf::conformance::sanitizer {
namespace {

std::mutex g_mutex;
std::string g_dir;                          // where reports go; empty: not installed
std::map<std::string, std::size_t> g_read;  // bytes of each report file already taken
std::function<void()> g_on_death;

// Frames of the suite's own code: a report with nothing else is the suite's bug.
bool suite_frame(const std::string& frame) {
  static const char* const kSuite[] = {"property_tests/harness/",
                                       "stress/harness/",
                                       "/usr/include/c++/",
                                       "libstdc++",
                                       "libc.so",
                                       "sanitizer_common",
                                       "/tsan_",
                                       "/asan_",
                                       "<null>"};
  for (const char* s : kSuite) {
    if (frame.find(s) != std::string::npos) return true;
  }
  return false;
}

// "    #0 ns::Type::done() /abs/path/property_tests/broken/x.cpp:12:5 (bin+0x1)"
// -> "#0 ns::Type::done() property_tests/broken/x.cpp:12:5"
std::string shorten(std::string line) {
  line.erase(0, line.find_first_not_of(' '));
  static const std::regex kOffset(R"( \([^()]*\+0x[0-9a-f]+\)$)");
  static const std::regex kAddress(R"(^(#\d+) 0x[0-9a-f]+ in )");
  line = std::regex_replace(line, kOffset, "");
  line = std::regex_replace(line, kAddress, "$1 ");
  for (const char* root : {"property_tests/", "stress/", "impl/"}) {
    auto at = line.find(std::string("/") + root);
    if (at != std::string::npos) {
      auto space = line.rfind(' ', at);
      line = line.substr(0, space + 1) + line.substr(at + 1);
      break;
    }
  }
  return line;
}

Report parse(const std::string& text) {
  Report r;
  r.text = text;
  static const std::regex kTitle(
      R"((ThreadSanitizer|AddressSanitizer|LeakSanitizer): ([a-z][a-z -]*[a-z])|(runtime error: [^\n]*))");
  std::smatch m;
  if (std::regex_search(text, m, kTitle)) {
    std::string what = m[2].str();
    if (auto at = what.find(" on address"); at != std::string::npos) what.erase(at);
    r.title = m[3].matched ? "UndefinedBehaviorSanitizer: " + m[3].str() : m[1].str() + ": " + what;
  }
  std::istringstream in(text);
  std::string line;
  int in_stack = 0;  // frames kept of the current stack
  bool any_outside = false;
  while (std::getline(in, line)) {
    if (line.rfind("SUMMARY: ", 0) == 0) r.summary = line.substr(9);
    auto first = line.find_first_not_of(' ');
    if (first == std::string::npos || line[first] != '#') {
      in_stack = 0;
      if (first != std::string::npos && r.frames.size() < 12) {
        // A stack's heading ("Read of size 1 at ... by main thread:").
        std::string heading = line.substr(first);
        if (heading.back() == ':' && heading.find("SUMMARY") == std::string::npos) {
          r.frames.push_back(heading);
        }
      }
      continue;
    }
    std::string frame = shorten(line);
    bool outside = !suite_frame(line);
    if (outside && !any_outside) {
      any_outside = true;
      r.where = frame;
    }
    if (in_stack++ < 4 && r.frames.size() < 16) r.frames.push_back("  " + frame);
  }
  r.in_suite = !any_outside;
  if (r.title.empty()) r.title = r.summary.empty() ? "sanitizer report" : r.summary;
  return r;
}

// Splits a report file into reports: each begins at a report's first line.
std::vector<std::string> split(const std::string& text) {
  static const std::regex kStart(
      R"((^|\n)(==================\nWARNING: ThreadSanitizer|=+\n==\d+==ERROR: |==\d+==ERROR: |[^\n]*: runtime error: ))");
  std::vector<std::string> parts;
  std::vector<std::size_t> starts;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kStart);
       it != std::sregex_iterator(); ++it) {
    starts.push_back(static_cast<std::size_t>(it->position(2)));
  }
  if (starts.empty()) {
    if (text.find_first_not_of(" \n") != std::string::npos) parts.push_back(text);
    return parts;
  }
  for (std::size_t i = 0; i < starts.size(); ++i) {
    std::size_t end = i + 1 < starts.size() ? starts[i + 1] : text.size();
    parts.push_back(text.substr(starts[i], end - starts[i]));
  }
  return parts;
}

[[maybe_unused]] void on_sanitizer_death() {
  std::function<void()> hook;
  {
    std::lock_guard lock(g_mutex);
    hook = g_on_death;
  }
  if (hook) hook();
}

// Adds log_path to the sanitizer options in the environment, so the worker
// processes this one starts write their reports where take_reports() looks.
[[maybe_unused]] void export_log_path(const std::string& path) {
  for (const char* var : {"TSAN_OPTIONS", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"}) {
    std::string options = std::getenv(var) ? std::getenv(var) : "";
    options += (options.empty() ? "" : " ") + std::string("log_path=") + path;
    setenv(var, options.c_str(), 1);
  }
}

bool instrumented(const char* path) {
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return true;  // cannot tell: say nothing rather than something wrong
  struct stat st {};
  bool found = true;
  if (::fstat(fd, &st) == 0 && st.st_size > 0) {
    void* p = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (p != MAP_FAILED) {
      const char* needle =
          std::strcmp(active(), "thread") == 0 ? "__tsan_func_entry" : "__asan_report_";
      found =
          ::memmem(p, static_cast<std::size_t>(st.st_size), needle, std::strlen(needle)) != nullptr;
      ::munmap(p, static_cast<std::size_t>(st.st_size));
    }
  }
  ::close(fd);
  return found;
}

bool runtime_library(const std::string& name) {
  static const char* const kRuntime[] = {
      "linux-vdso", "ld-linux", "libc.so", "libm.so", "libgcc_s", "libstdc++", "libpthread",
      "libdl.so",   "librt.so", "libtsan", "libasan", "libubsan", "liblsan"};
  auto base = std::filesystem::path(name).filename().string();
  for (const char* r : kRuntime) {
    if (base.rfind(r, 0) == 0) return true;
  }
  return false;
}

}  // namespace

const char* active() {
#if defined(__SANITIZE_THREAD__)
  return "thread";
#elif defined(__SANITIZE_ADDRESS__)
  return "address";
#else
  return "";
#endif
}

void install(std::function<void()> on_death) {
#ifdef CF_SANITIZED
  const char* reports = std::getenv("CF_REPORT_DIR");
  if (!reports || !*reports) return;
  std::error_code ec;
  auto dir = std::filesystem::path(reports) / ".sanitizer";
  std::filesystem::create_directories(dir, ec);
  if (ec) return;
  std::string prefix = (dir / ("report-" + std::to_string(::getpid()))).string();
  {
    std::lock_guard lock(g_mutex);
    g_dir = prefix;
    g_on_death = std::move(on_death);
  }
  __sanitizer_set_report_path(prefix.c_str());
  export_log_path(prefix);
  __sanitizer_set_death_callback(on_sanitizer_death);
#else
  (void)on_death;
#endif
}

bool installed() {
  std::lock_guard lock(g_mutex);
  return !g_dir.empty();
}

std::vector<Report> take_reports() {
  std::vector<Report> out;
  std::lock_guard lock(g_mutex);
  if (g_dir.empty()) return out;
  auto prefix = std::filesystem::path(g_dir);
  auto stem = prefix.filename().string() + ".";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(prefix.parent_path(), ec)) {
    auto name = entry.path().filename().string();
    if (name.rfind(stem, 0) != 0) continue;  // another process's tree
    std::ifstream in(entry.path(), std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto& seen = g_read[name];
    if (text.size() <= seen) continue;
    std::string fresh = text.substr(seen);
    seen = text.size();
    std::fputs(fresh.c_str(), stderr);  // where it would have gone
    for (auto& part : split(fresh)) out.push_back(parse(part));
  }
  return out;
}

std::vector<std::string> uninstrumented_libraries() {
  std::vector<std::string> out;
  if (!*active()) return out;
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* data) {
        auto& list = *static_cast<std::vector<std::string>*>(data);
        if (info->dlpi_name && *info->dlpi_name && !runtime_library(info->dlpi_name) &&
            !instrumented(info->dlpi_name)) {
          list.emplace_back(info->dlpi_name);
        }
        return 0;
      },
      &out);
  return out;
}

std::string coverage_note() {
  if (!*active()) return {};
  std::string kind = std::strcmp(active(), "thread") == 0 ? "races" : "memory errors";
  auto missing = uninstrumented_libraries();
  if (missing.empty()) {
    return std::string(active()) +
           " sanitizer: the adapter and every library it loads are instrumented";
  }
  std::string names;
  for (const auto& m : missing) {
    names += (names.empty() ? "" : ", ") + std::filesystem::path(m).filename().string();
  }
  return std::string(active()) + " sanitizer; not instrumented: " + names + " (" + kind +
         " inside them are invisible)";
}

int charge(const std::string& replay) {
  if (!installed()) return 0;
  auto reports = take_reports();
  if (reports.empty()) {
    // One verdict per test: unless the test judged EXT-SAN-1 itself.
    auto state = run::snapshot();
    bool judged = false;
    for (const auto& [clause, n] : state.counts) judged = judged || clause == "EXT-SAN-1";
    if (!judged) run::tally("EXT-SAN-1", 1, 0);
    return 0;
  }
  for (const auto& r : reports) {
    std::string frames;
    for (const auto& f : r.frames) frames += "\n  " + f;
    if (r.in_suite) {
      run::set_inconclusive("a sanitizer report inside the suite's own code (" + r.title +
                            "): " + r.summary + frames);
      continue;
    }
    // r.where: "#0 function(args) path:line:column"
    std::string frame = r.where.substr(r.where.find(' ') + 1);
    std::string location = frame.substr(frame.rfind(' ') + 1);
    run::add_finding({"EXT-SAN-1", "sanitizer", "[EXT-SAN-1] " + r.title + " in " + frame + frames,
                      location, r.title + " at " + location, replay});
    run::tally("EXT-SAN-1", 0, 1);
  }
  return static_cast<int>(reports.size());
}

}  // namespace cf::conformance::sanitizer
