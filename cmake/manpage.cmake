# voxcache.1, generated at build time from the CLI's own --help texts (so it
# cannot drift from them), installed with the CLI.
add_custom_command(OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/voxcache.1
  COMMAND ${CMAKE_COMMAND} -DCLI=$<TARGET_FILE:voxcache_cli> -DVERSION=${PROJECT_VERSION}
          -DOUT=${CMAKE_CURRENT_BINARY_DIR}/voxcache.1 -P ${CMAKE_CURRENT_LIST_DIR}/make_manpage.cmake
  DEPENDS voxcache_cli ${CMAKE_CURRENT_LIST_DIR}/make_manpage.cmake
  COMMENT "Generating the voxcache(1) man page from the CLI's help")
add_custom_target(voxcache_manpage ALL DEPENDS ${CMAKE_CURRENT_BINARY_DIR}/voxcache.1)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/voxcache.1
  DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT cli)
