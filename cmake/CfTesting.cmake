# cf_discover_tests(<target> [PREFIX <prefix>] [TIMEOUT <seconds>]
#                   [LABELS <label>...] [ENVIRONMENT <VAR=value>...])
#
# Registers every GoogleTest test of <target> with ctest, one process per test,
# and gives each the labels, timeout and environment. In a sanitizer build a
# test also fails when its output holds a sanitizer report (one from a
# process worker does not reach the test's exit status).
#
# Why not gtest_discover_tests(... PROPERTIES ...) alone: CMake's GoogleTest
# module flattens the property list, so `LABELS "a;b"` arrives as LABELS=a
# followed by a property named b; every later property is lost with it (the
# sanitizer options among them). So discovery sets no properties here, and a
# script included right after the discovered tests sets them, by name, from
# the list of tests discovery fills in.
include(GoogleTest)

function(cf_discover_tests target)
  cmake_parse_arguments(ARG "" "PREFIX;TIMEOUT" "LABELS;ENVIRONMENT" ${ARGN})
  set(list_var "${target}_TESTS")
  gtest_discover_tests(${target}
    TEST_PREFIX "${ARG_PREFIX}"
    DISCOVERY_MODE PRE_TEST
    TEST_LIST ${list_var})
  set(properties "")
  if(ARG_LABELS)
    string(APPEND properties " LABELS [==[${ARG_LABELS}]==]")
  endif()
  if(ARG_TIMEOUT)
    string(APPEND properties " TIMEOUT ${ARG_TIMEOUT}")
  endif()
  if(ARG_ENVIRONMENT)
    string(APPEND properties " ENVIRONMENT [==[${ARG_ENVIRONMENT}]==]")
  endif()
  if(CF_SANITIZER_REPORT_REGEX)
    string(APPEND properties " FAIL_REGULAR_EXPRESSION [==[${CF_SANITIZER_REPORT_REGEX}]==]")
  endif()
  set(script "${CMAKE_CURRENT_BINARY_DIR}/${target}_properties.cmake")
  file(WRITE "${script}"
    "foreach(test IN LISTS [==[${list_var}]==])\n"
    "  set_tests_properties(\"\${test}\" PROPERTIES${properties})\n"
    "endforeach()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${script}")
endfunction()

# cf_discover_stress(<target> [PREFIX <prefix>] [TIMEOUT <seconds>]
#                    [LABELS <label>...] [ARGS <arg>...] [ENVIRONMENT <VAR=value>...])
#
# Registers every stress scenario of the cf_stress_<column> program <target>
# with ctest, one test per scenario (<prefix>Stress.<scenario>), each running
# `<target> --scenario <scenario> ARGS`. The scenarios are listed when ctest
# starts (`<target> --list-names`), as gtest_discover_tests' PRE_TEST mode
# does; a scenario the column cannot run exits 77, which ctest reports as
# skipped. In a sanitizer build a test also fails when its output holds a
# sanitizer report, as cf_discover_tests' do.
function(cf_discover_stress target)
  cmake_parse_arguments(ARG "" "PREFIX;TIMEOUT" "LABELS;ARGS;ENVIRONMENT" ${ARGN})
  set(properties "SKIP_RETURN_CODE 77")
  if(ARG_LABELS)
    string(APPEND properties " LABELS [==[${ARG_LABELS}]==]")
  endif()
  if(ARG_TIMEOUT)
    string(APPEND properties " TIMEOUT ${ARG_TIMEOUT}")
  endif()
  if(ARG_ENVIRONMENT)
    string(APPEND properties " ENVIRONMENT [==[${ARG_ENVIRONMENT}]==]")
  endif()
  if(CF_SANITIZER_REPORT_REGEX)
    string(APPEND properties " FAIL_REGULAR_EXPRESSION [==[${CF_SANITIZER_REPORT_REGEX}]==]")
  endif()
  set(script "${CMAKE_CURRENT_BINARY_DIR}/${target}_stress_tests.cmake")
  string(CONCAT content
    "set(exe [==[$<TARGET_FILE:${target}>]==])\n"
    "set(names \"\")\n"
    "if(EXISTS \"\${exe}\")\n"
    "  execute_process(COMMAND \"\${exe}\" --list-names OUTPUT_VARIABLE names RESULT_VARIABLE rc)\n"
    "  if(NOT rc EQUAL 0)\n"
    "    set(names \"\")\n"
    "  endif()\n"
    "endif()\n"
    "string(REPLACE \"\\n\" \";\" names \"\${names}\")\n"
    "if(NOT names)\n"
    "  add_test([==[${ARG_PREFIX}Stress.NOT_BUILT]==] \"\${exe}\" --list-names)\n"
    "  set_tests_properties([==[${ARG_PREFIX}Stress.NOT_BUILT]==] PROPERTIES ${properties})\n"
    "endif()\n"
    "foreach(name IN LISTS names)\n"
    "  if(name STREQUAL \"\")\n"
    "    continue()\n"
    "  endif()\n"
    "  add_test(\"${ARG_PREFIX}Stress.\${name}\" \"\${exe}\" --scenario \"\${name}\" ${ARG_ARGS})\n"
    "  set_tests_properties(\"${ARG_PREFIX}Stress.\${name}\" PROPERTIES ${properties})\n"
    "endforeach()\n")
  file(GENERATE OUTPUT "${script}" CONTENT "${content}")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${script}")
endfunction()
