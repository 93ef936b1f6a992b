# Reads CF_SANITIZE once and applies the flags to every target built after it.
# CF_TEST_SCALE tells tests how much to scale sweeps down (instrumented code is slower).
# -g1 (line tables, inlined frames included) is all a report's stack needs;
# full -g made every instrumented compile about 40% slower.
set(CF_TEST_SCALE 1)
if(CF_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread -g1 -O1 -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
  set(CF_TEST_SCALE 4)
elseif(CF_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined,leak -fno-sanitize-recover=undefined
                      -g1 -O1 -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined,leak)
  # As for TSan: the process pool's tests run about nine times slower than
  # in the default build (945 s against 108 s of test time on 2 cores), and a
  # quarter of the property cases still reach the same code paths.
  set(CF_TEST_SCALE 4)
elseif(NOT CF_SANITIZE STREQUAL "")
  message(FATAL_ERROR "CF_SANITIZE must be empty, 'thread' or 'address', not '${CF_SANITIZE}'")
endif()
# Runtime options for ctest runs; suppression files live in sanitizers/ and
# sanitizers/README.md says why each option is set. Process workers are
# spawned with the parent's environment, so they run with the same options.
set(CF_SANITIZER_ENV
  "TSAN_OPTIONS=halt_on_error=1 second_deadlock_stack=1 detect_deadlocks=1 suppressions=${PROJECT_SOURCE_DIR}/sanitizers/tsan.supp"
  "ASAN_OPTIONS=halt_on_error=1 abort_on_error=0 detect_leaks=1 detect_stack_use_after_return=1 check_initialization_order=1 strict_init_order=1"
  "UBSAN_OPTIONS=halt_on_error=1 print_stacktrace=1 suppressions=${PROJECT_SOURCE_DIR}/sanitizers/ubsan.supp"
  "LSAN_OPTIONS=suppressions=${PROJECT_SOURCE_DIR}/sanitizers/lsan.supp")
# A report from a process worker ends the worker, not the test: the pool sees
# at most a dead worker, and a leak report comes after the worker's last
# frame, so nothing of it reaches the test's exit status. Its stderr is the
# test's, so a test whose output holds a report fails (cf_discover_tests).
if(CF_SANITIZE)
  set(CF_SANITIZER_REPORT_REGEX
    "ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer|ThreadSanitizer: reported|runtime error: ")
else()
  set(CF_SANITIZER_REPORT_REGEX "")
endif()
# What every test gets: the sweep scale and the sanitizer runtime options.
set(CF_TEST_ENV "CF_TEST_SCALE=${CF_TEST_SCALE}" ${CF_SANITIZER_ENV})
