# Debian packages (cpack -G DEB in a shared build, docs/install.md), one per
# install component (cmake/install.cmake), lintian-clean
# (tests/packaging/packaging_test.sh runs it):
#   libvoxcache0.1      libvoxcache.so.0.1 (lib): named by its SONAME
#   libvoxcache-itk0.1  libvoxcache_itk.so.0.1 (libitk)
#   libvoxcache-dev     headers, CMake and pkg-config files, the .so links (dev)
#   voxcache            the CLI, its man page, serve's NiiVue bundle (cli)
# Runtime dependencies come from dpkg-shlibdeps; the packages depend on one
# another (= version), and the -dev package on what its headers include.
# Each has /usr/share/doc/<package>/copyright and changelog.gz.
set(CPACK_PACKAGE_NAME voxcache)
set(CPACK_PACKAGE_VENDOR "voxcache")
set(CPACK_PACKAGE_CONTACT "voxcache maintainers <voxcache@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Memoizes computed 3D image results in SQLite, compressed and checksummed")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR DEB)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)
if(VOXCACHE_BUILD_ITK)
  set(CPACK_COMPONENTS_ALL lib libitk dev cli)
else()
  set(CPACK_COMPONENTS_ALL lib dev)
endif()
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.org/voxcache")
set(CPACK_STRIP_FILES ON)  # Debian ships stripped objects (debug symbols go apart)

set(CPACK_DEBIAN_LIB_PACKAGE_NAME libvoxcache${VOXCACHE_SOVERSION})
set(CPACK_DEBIAN_LIB_PACKAGE_SECTION libs)
set(CPACK_COMPONENT_LIB_DESCRIPTION
    "voxcache shared library\n libvoxcache: a cache of computed 3D images (SHA-256 recipe keys,\n zstd or LZ4 chunks with XXH3 checksums, SQLite WAL, Redis tier).")
set(CPACK_DEBIAN_LIBITK_PACKAGE_NAME libvoxcache-itk${VOXCACHE_SOVERSION})
set(CPACK_DEBIAN_LIBITK_PACKAGE_SECTION libs)
set(CPACK_COMPONENT_LIBITK_DEPENDS lib)
set(CPACK_COMPONENT_LIBITK_DESCRIPTION
    "voxcache ITK adapter\n libvoxcache_itk: itk::Image in and out of a voxcache, and image files\n read and written through ITK with their geometry exact.")
# ld.so's cache is refreshed by dpkg's trigger, not by a script of ours.
set(_triggers ${CMAKE_CURRENT_BINARY_DIR}/deb/triggers)
file(WRITE ${_triggers} "activate-noawait ldconfig\n")
set(CPACK_DEBIAN_LIB_PACKAGE_CONTROL_EXTRA ${_triggers})
set(CPACK_DEBIAN_LIBITK_PACKAGE_CONTROL_EXTRA ${_triggers})
# CPack 3.25 also writes postinst and postrm that call ldconfig whenever a
# package holds a library under /usr/lib (lintian: maintscript-calls-ldconfig);
# with the trigger they are redundant, and this script takes them out.
set(CPACK_POST_BUILD_SCRIPTS ${CMAKE_CURRENT_LIST_DIR}/deb_drop_ldconfig.cmake)

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libvoxcache-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_DEV_DEPENDS lib libitk)
# voxcache/itk.h includes ITK's headers; a static build's consumers link the rest.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "libinsighttoolkit5-dev, pkg-config")
set(CPACK_COMPONENT_DEV_DESCRIPTION
    "voxcache development files\n Headers, CMake package (find_package(voxcache)) and pkg-config files\n (voxcache, voxcache-itk).")

set(CPACK_DEBIAN_CLI_PACKAGE_NAME voxcache)
# dpkg-shlibdeps finds libvoxcache and libvoxcache_itk in the build folder
# (they are in packages being built, which the DEPENDS below name).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${CMAKE_CURRENT_BINARY_DIR})
set(CPACK_DEBIAN_CLI_PACKAGE_SECTION science)
set(CPACK_COMPONENT_CLI_DEPENDS lib libitk)
set(CPACK_COMPONENT_CLI_DESCRIPTION
    "voxcache command-line tool\n List, show, verify, export, import and manage a voxcache database;\n memoize shell commands (voxcache run); look at it in a browser\n (voxcache serve).")

# /usr/share/doc/<package>/: the copyright (DEP-5) and the changelog,
# compressed as Debian wants it (gzip -9n: no name, no time stamp).
set(_changelog ${CMAKE_CURRENT_BINARY_DIR}/deb/changelog.gz)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  ${PROJECT_SOURCE_DIR}/packaging/changelog)
execute_process(COMMAND gzip -9n -c ${PROJECT_SOURCE_DIR}/packaging/changelog
  OUTPUT_FILE ${_changelog} RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "gzip of packaging/changelog failed")
endif()
foreach(_component IN LISTS CPACK_COMPONENTS_ALL)
  string(TOUPPER ${_component} _upper)
  install(FILES ${PROJECT_SOURCE_DIR}/packaging/copyright ${_changelog}
    DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${CPACK_DEBIAN_${_upper}_PACKAGE_NAME}
    COMPONENT ${_component})
endforeach()
include(CPack)
