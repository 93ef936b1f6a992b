# Runs one property against one planted bug and passes only if the property
# FAILS with a RapidCheck counterexample: the property catches the bug.
#   cmake -DBINARY=<cf_properties_broken> -DVARIANT=<bug> -DPROPERTY=<name>
#         [-DCASES=<max_success>] [-DREPORT=<regex> [-DWHERE=<regex>]]
#         -P run_broken.cmake
# With REPORT, the bug is one that only a sanitizer sees (the property itself
# passes): the test passes only if the run exits non-zero with a sanitizer
# report matching REPORT, about the planted code (WHERE), as
# sanitizers/selfcheck/run_selfcheck.cmake checks.
# No conformance record is written (CF_REPORT_DIR is unset): a broken
# variant is not an implementation of the clause table.
foreach(var BINARY VARIANT PROPERTY)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_broken.cmake needs -D${var}=...")
  endif()
endforeach()
if(NOT DEFINED CASES)
  set(CASES 100)
endif()
set(params "max_success=${CASES}")
if(DEFINED ENV{RC_PARAMS})
  set(params "$ENV{RC_PARAMS} ${params}")
endif()
set(command ${CMAKE_COMMAND} -E env --unset=CF_REPORT_DIR "CF_BROKEN=${VARIANT}" "RC_PARAMS=${params}"
            ${BINARY} --gtest_filter=Conformance_RapidCheck.${PROPERTY})
if(DEFINED REPORT)
  # A bug only a sanitizer sees: the sanitizer's self-check runner judges it.
  set(PROGRAM ${command})
  set(WHAT "${PROPERTY} on the ${VARIANT} bug")
  include(${CMAKE_CURRENT_LIST_DIR}/../../sanitizers/selfcheck/run_selfcheck.cmake)
  return()
endif()
execute_process(
  COMMAND ${command}
  RESULT_VARIABLE status
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err)
message("${out}${err}")
set(what "the ${VARIANT} bug")
if(status STREQUAL "0")
  message(FATAL_ERROR "NOT CAUGHT: ${PROPERTY} passed on ${what}")
endif()
if(NOT status STREQUAL "1")
  message(FATAL_ERROR "${what}: the property did not fail cleanly (exit status ${status}: crash or hang?)")
endif()
if(NOT out MATCHES "Falsifiable after [0-9]+ tests?")
  message(FATAL_ERROR "${what}: failed without a RapidCheck counterexample")
endif()
if(NOT out MATCHES "\\[  FAILED  \\] Conformance_RapidCheck\\.${PROPERTY}")
  message(FATAL_ERROR "${what}: ${PROPERTY} did not run or did not fail")
endif()
message("CAUGHT: ${PROPERTY} fails on ${what}, as it must")
