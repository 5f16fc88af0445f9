# CPACK_POST_BUILD_SCRIPTS (cmake/package.cmake): in each built .deb whose
# postinst and postrm are CPack's ldconfig calls and nothing else, drops the
# two scripts (the package's ldconfig trigger does their work) and builds the
# package again from the same files.
foreach(deb IN LISTS CPACK_PACKAGE_FILES)
  if(NOT deb MATCHES "\\.deb$")
    continue()
  endif()
  get_filename_component(dir "${deb}" DIRECTORY)
  set(tree "${dir}/_drop_ldconfig")
  file(REMOVE_RECURSE "${tree}")
  execute_process(COMMAND dpkg-deb -R "${deb}" "${tree}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "dpkg-deb -R ${deb} failed")
  endif()
  set(dropped FALSE)
  foreach(script postinst postrm)
    set(path "${tree}/DEBIAN/${script}")
    if(NOT EXISTS "${path}")
      continue()
    endif()
    file(READ "${path}" text)
    # What is left without the shebang, set -e, ldconfig and blank lines.
    string(REGEX REPLACE "#![^\n]*\n|set -e\n|[^\n]*ldconfig[^\n]*\n|if [^\n]*\n|fi\n|[ \t\n]" ""
           rest "${text}")
    if(rest STREQUAL "" AND text MATCHES "ldconfig")
      file(REMOVE "${path}")
      set(dropped TRUE)
    endif()
  endforeach()
  if(dropped)
    execute_process(COMMAND dpkg-deb --root-owner-group -Zxz -b "${tree}" "${deb}"
                    RESULT_VARIABLE rc OUTPUT_QUIET)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "dpkg-deb -b ${deb} failed")
    endif()
  endif()
  file(REMOVE_RECURSE "${tree}")
endforeach()
