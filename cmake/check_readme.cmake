# Checks that README.md shows each block of EXAMPLE marked "// [NAME]" ...
# "// [/NAME]", as it is there less its indentation, so the README's code is
# code that compiles and runs.  cmake -DEXAMPLE=... -DREADME=... -P check_readme.cmake
file(READ "${EXAMPLE}" example)
file(READ "${README}" readme)
foreach(name readme-use readme-stream)
  string(REGEX MATCH "// \\[${name}\\]\n(.*)\n *// \\[/${name}\\]" found "${example}")
  if(NOT found)
    message(FATAL_ERROR "${EXAMPLE} has no block ${name}")
  endif()
  # One pass over "\n  " only: CMake's ^ would match again after each replacement.
  string(REPLACE "\n  " "\n" block "\n${CMAKE_MATCH_1}")
  string(SUBSTRING "${block}" 1 -1 block)
  string(FIND "${readme}" "${block}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "README.md does not show block ${name} of ${EXAMPLE} as it is:\n${block}")
  endif()
endforeach()
