# Debian packages (cpack -G DEB in a shared build, docs/install.md):
#   libvoxcache      the shared libraries (component lib)
#   libvoxcache-dev  headers, CMake and pkg-config files, the .so links (dev)
#   voxcache         the CLI and its man page (cli)
# Runtime dependencies come from dpkg-shlibdeps for libvoxcache; the others
# depend on it (= version), and the -dev package on what its headers include.
set(CPACK_PACKAGE_NAME voxcache)
set(CPACK_PACKAGE_VENDOR "voxcache")
set(CPACK_PACKAGE_CONTACT "voxcache maintainers <voxcache@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Memoizes computed 3D image results in SQLite, compressed and checksummed")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR DEB)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)
set(CPACK_COMPONENTS_ALL lib dev cli)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.invalid/voxcache")

set(CPACK_DEBIAN_LIB_PACKAGE_NAME libvoxcache)
set(CPACK_DEBIAN_LIB_PACKAGE_SECTION libs)
set(CPACK_COMPONENT_LIB_DESCRIPTION
    "voxcache shared libraries\n libvoxcache and libvoxcache_itk: a cache of computed 3D images\n (SHA-256 recipe keys, zstd, xxHash checksums, SQLite WAL).")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libvoxcache-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_DEV_DEPENDS lib)
# voxcache/itk.h includes ITK's headers; a static build's consumers link the rest.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "libinsighttoolkit5-dev, pkg-config")
set(CPACK_COMPONENT_DEV_DESCRIPTION
    "voxcache development files\n Headers, CMake package (find_package(voxcache)) and pkg-config files\n (voxcache, voxcache-itk).")

set(CPACK_DEBIAN_CLI_PACKAGE_NAME voxcache)
# dpkg-shlibdeps cannot see libvoxcache in another package being built; the
# CLI's other libraries are libvoxcache's own dependencies.
set(CPACK_DEBIAN_CLI_PACKAGE_SHLIBDEPS OFF)
set(CPACK_DEBIAN_CLI_PACKAGE_SECTION science)
set(CPACK_COMPONENT_CLI_DEPENDS lib)
set(CPACK_COMPONENT_CLI_DESCRIPTION
    "voxcache command-line inspector\n List, show, verify, export, import and manage a voxcache database.")
include(CPack)
