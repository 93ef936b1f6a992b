# Runs EXE with ARGS (a ;-list) and requires exit code EXPECT, so a self-check
# that must fail passes only on the harness's "forbidden outcome" exit (1),
# not on a usage error (2), a hang (3) or a crash.
execute_process(COMMAND ${EXE} ${ARGS} RESULT_VARIABLE rc)
if(NOT rc STREQUAL "${EXPECT}")
  message(FATAL_ERROR "${EXE} exited with '${rc}', expected ${EXPECT}")
endif()
