# voxcache.1.gz: packaging/voxcache.1.in with the sections generated from
# the CLI's own definitions (make_manpage.cmake), gzipped as Debian wants
# man pages (-9n: no name, no time stamp), installed with the CLI.
file(STRINGS ${PROJECT_SOURCE_DIR}/packaging/changelog _signoff REGEX "^ -- ")
list(GET _signoff 0 _signoff)
string(REGEX MATCH "[0-9]+ [A-Z][a-z]+ [0-9]+" VOXCACHE_RELEASE_DATE "${_signoff}")
add_custom_command(OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/voxcache.1 ${CMAKE_CURRENT_BINARY_DIR}/voxcache.1.gz
  COMMAND ${CMAKE_COMMAND} -DCLI=$<TARGET_FILE:voxcache_cli> -DVERSION=${PROJECT_VERSION}
          "-DDATE=${VOXCACHE_RELEASE_DATE}" -DIN=${PROJECT_SOURCE_DIR}/packaging/voxcache.1.in
          -DOUT=${CMAKE_CURRENT_BINARY_DIR}/voxcache.1 -P ${CMAKE_CURRENT_LIST_DIR}/make_manpage.cmake
  COMMAND gzip -9nfk ${CMAKE_CURRENT_BINARY_DIR}/voxcache.1
  DEPENDS voxcache_cli ${CMAKE_CURRENT_LIST_DIR}/make_manpage.cmake
          ${PROJECT_SOURCE_DIR}/packaging/voxcache.1.in ${PROJECT_SOURCE_DIR}/packaging/changelog
  COMMENT "Generating the voxcache(1) man page" VERBATIM)
add_custom_target(voxcache_manpage ALL DEPENDS ${CMAKE_CURRENT_BINARY_DIR}/voxcache.1.gz)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/voxcache.1.gz
  DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT cli)
# The references SEE ALSO names.
install(FILES ${PROJECT_SOURCE_DIR}/docs/cli.md ${PROJECT_SOURCE_DIR}/docs/run.md
  ${PROJECT_SOURCE_DIR}/docs/serve.md ${PROJECT_SOURCE_DIR}/docs/format.md
  ${PROJECT_SOURCE_DIR}/docs/reliability.md
  DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/voxcache COMPONENT cli)
