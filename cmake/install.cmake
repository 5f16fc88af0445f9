# What `cmake --install` puts where, in four components that are also the
# Debian packages (cmake/package.cmake):
#   lib     libvoxcache.so.<soversion>
#   libitk  libvoxcache_itk.so.<soversion>, the ITK adapter
#   dev     headers, find_package(voxcache) and pkg-config files, .so links
#   cli     the voxcache command, its man page, serve's NiiVue bundle
# find_package(voxcache) gives voxcache::voxcache and voxcache::itk.

include(CMakePackageConfigHelpers)

set(VOXCACHE_SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
install(TARGETS voxcache EXPORT voxcacheTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT lib NAMELINK_COMPONENT dev)
if(VOXCACHE_BUILD_ITK)
  install(TARGETS voxcache_itk EXPORT voxcacheTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT libitk NAMELINK_COMPONENT dev)
  install(TARGETS voxcache_cli EXPORT voxcacheTargets
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT cli)
  include(cmake/manpage.cmake)
  # NiiVue's bundle for voxcache serve, where web/fetch_niivue.sh put it
  # (quickstart.sh does); without it serve shows PNG slices.
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/web/niivue.umd.js
    DESTINATION ${CMAKE_INSTALL_DATADIR}/voxcache/web COMPONENT cli OPTIONAL)
endif()

# Installed into /usr, the dynamic linker finds the libraries by itself, and
# Debian forbids a RUNPATH there (lintian: custom-library-search-path); into
# any other prefix, $ORIGIN/../<libdir> (CMAKE_INSTALL_RPATH) finds them.
if(BUILD_SHARED_LIBS)
  set(_installed lib "${CMAKE_INSTALL_LIBDIR}/$<TARGET_FILE_NAME:voxcache>")
  if(VOXCACHE_BUILD_ITK)
    list(APPEND _installed libitk "${CMAKE_INSTALL_LIBDIR}/$<TARGET_FILE_NAME:voxcache_itk>"
         cli "${CMAKE_INSTALL_BINDIR}/$<TARGET_FILE_NAME:voxcache_cli>")
  endif()
  while(_installed)
    list(POP_FRONT _installed _component _file)
    install(CODE "
      if(CMAKE_INSTALL_PREFIX STREQUAL \"/usr\")
        file(RPATH_REMOVE FILE \"\$ENV{DESTDIR}/usr/${_file}\")
      endif()" COMPONENT ${_component})
  endwhile()
endif()

install(DIRECTORY include/voxcache DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)
install(FILES cmake/FindXXHash.cmake DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/voxcache
  COMPONENT dev)
install(EXPORT voxcacheTargets NAMESPACE voxcache::
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/voxcache COMPONENT dev)
include(cmake/pkgconfig.cmake)
configure_package_config_file(cmake/voxcacheConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/voxcacheConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/voxcache)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/voxcacheConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/voxcacheConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/voxcacheConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/voxcache COMPONENT dev)

include(cmake/package.cmake)
