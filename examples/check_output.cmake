# Runs one example and checks its output: cmake -DEXE=<program> -DEXPECT=<file> -P check_output.cmake
#
# EXPECT holds one CMake regular expression per line; every one must match
# somewhere in the program's stdout. A line starting with `!` must not match.
# Blank lines and lines starting with `#` are ignored. `.` and `[^x]` also
# match newlines, so `A[^=]*B` means "B follows A with no `=` between".
# The file is split by hand rather than with file(STRINGS): CMake's list
# splitting treats `[` and `;` specially, and regexes are full of both.
if(NOT EXE OR NOT EXPECT)
  message(FATAL_ERROR "usage: cmake -DEXE=<program> -DEXPECT=<regex file> -P check_output.cmake")
endif()

# The example's own bound; ctest's TIMEOUT is the backstop.
execute_process(COMMAND ${EXE} OUTPUT_VARIABLE out ERROR_VARIABLE err
                RESULT_VARIABLE rc TIMEOUT 60)
message("${out}")
if(err)
  message("stderr:\n${err}")
endif()
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${EXE} exited with '${rc}'")
endif()

file(READ ${EXPECT} patterns)
set(failures 0)
while(NOT patterns STREQUAL "")
  string(FIND "${patterns}" "\n" eol)
  if(eol EQUAL -1)
    set(line "${patterns}")
    set(patterns "")
  else()
    string(SUBSTRING "${patterns}" 0 ${eol} line)
    math(EXPR next "${eol} + 1")
    string(SUBSTRING "${patterns}" ${next} -1 patterns)
  endif()
  if(line STREQUAL "" OR line MATCHES "^#")
    continue()
  endif()
  if(line MATCHES "^!")
    string(SUBSTRING "${line}" 1 -1 regex)
    if("${out}" MATCHES "${regex}")
      message(SEND_ERROR "output matches forbidden pattern: ${regex}")
      math(EXPR failures "${failures} + 1")
    endif()
  elseif(NOT "${out}" MATCHES "${line}")
    message(SEND_ERROR "output does not match: ${line}")
    math(EXPR failures "${failures} + 1")
  endif()
endwhile()
if(failures GREATER 0)
  message(FATAL_ERROR "${failures} pattern(s) failed for ${EXE}")
endif()
