# Runs one program with a planted bug and passes only if the sanitizer caught
# it: the program exited non-zero AND its output holds the sanitizer's report
# header (and, if given, a frame of the planted code). A silent sanitizer
# means an uninstrumented build or a lost runtime option, and fails the test.
#   cmake -DPROGRAM=<exe> -DREPORT=<regex of the report header>
#         [-DWHERE=<regex a stack frame of the bug must match>]
#         [-DARGS=<;-list>] [-DWHAT=<name for messages>] -P run_selfcheck.cmake
# Included by property_tests/broken/run_broken.cmake for the bugs only a
# sanitizer can see.
foreach(var PROGRAM REPORT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_selfcheck.cmake needs -D${var}=...")
  endif()
endforeach()
execute_process(
  COMMAND ${PROGRAM} ${ARGS}
  RESULT_VARIABLE status
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err)
set(all "${out}${err}")
message("${all}")
if(DEFINED WHAT)
  set(what "${WHAT}")
else()
  get_filename_component(what "${PROGRAM}" NAME)
endif()
if(status STREQUAL "0")
  message(FATAL_ERROR "NOT CAUGHT: ${what} exited 0; the sanitizer stayed silent")
endif()
if(NOT all MATCHES "${REPORT}")
  message(FATAL_ERROR "NOT CAUGHT: ${what} exited with status ${status} but without a report matching \"${REPORT}\"")
endif()
if(DEFINED WHERE AND NOT all MATCHES "${WHERE}")
  message(FATAL_ERROR "${what}: a \"${REPORT}\" report, but not about the planted bug (no frame matching \"${WHERE}\")")
endif()
message("CAUGHT: ${what} gave \"${REPORT}\" and exit status ${status}, as it must")
