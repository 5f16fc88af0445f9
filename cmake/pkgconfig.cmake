# pkg-config files for builds without CMake: voxcache.pc and, with the ITK
# adapter, voxcache-itk.pc. ITK ships no .pc of its own, so voxcache-itk.pc
# names ITK's include directory and the library files of the ITK targets
# voxcache_itk links (with their own dependencies), as this build found them.

# The prefix is written at install time, as an absolute path: the one
# `cmake --install --prefix` or the Debian package (/usr) installs to. (A
# ${pcfiledir}-relative prefix would move with the files, but lintian and
# pkg-config's users expect plain paths: no /usr/lib/pkgconfig/../.. in -I.)
set(VOXCACHE_PC_PREFIX "@VOXCACHE_INSTALL_PREFIX@")

set(VOXCACHE_PC_PRIVATE "-lsqlite3 -lzstd -llz4 -lxxhash -lcrypto -lhiredis -lpthread")
if(BUILD_SHARED_LIBS)
  set(VOXCACHE_PC_LIBS "-L\${libdir} -lvoxcache")
  set(VOXCACHE_PC_LIBS_PRIVATE "${VOXCACHE_PC_PRIVATE}")
else()
  set(VOXCACHE_PC_LIBS "-L\${libdir} -lvoxcache ${VOXCACHE_PC_PRIVATE}")
  set(VOXCACHE_PC_LIBS_PRIVATE "")
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/voxcache.pc.in ${CMAKE_CURRENT_BINARY_DIR}/voxcache.pc.in @ONLY)
set(_pc_files voxcache)

if(VOXCACHE_BUILD_ITK)
  # The ITK libraries, transitively, as linker files (generator expressions:
  # their paths are known at generate time).
  set(_seen "")
  set(_todo ${ITK_LIBRARIES})
  set(_itk_libs "")
  while(_todo)
    list(POP_FRONT _todo _lib)
    if(_lib IN_LIST _seen)
      continue()
    endif()
    list(APPEND _seen ${_lib})
    if(TARGET ${_lib})
      get_target_property(_type ${_lib} TYPE)
      if(_type STREQUAL "SHARED_LIBRARY" OR _type STREQUAL "STATIC_LIBRARY")
        string(APPEND _itk_libs " $<TARGET_LINKER_FILE:${_lib}>")
      endif()
      get_target_property(_deps ${_lib} INTERFACE_LINK_LIBRARIES)
      if(_deps)
        foreach(_d IN LISTS _deps)
          if(TARGET ${_d})
            list(APPEND _todo ${_d})
          endif()
        endforeach()
      endif()
    endif()
  endwhile()
  # ITK's include folders, once each; the compiler's own (/usr/include)
  # never: -I of a system folder reorders the compiler's search.
  set(VOXCACHE_PC_ITK_CFLAGS "")
  list(REMOVE_DUPLICATES ITK_INCLUDE_DIRS)
  foreach(_dir IN LISTS ITK_INCLUDE_DIRS)
    if(NOT _dir IN_LIST CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES AND NOT _dir STREQUAL "/usr/include")
      string(APPEND VOXCACHE_PC_ITK_CFLAGS " -I${_dir}")
    endif()
  endforeach()
  configure_file(${CMAKE_CURRENT_LIST_DIR}/voxcache-itk.pc.in
    ${CMAKE_CURRENT_BINARY_DIR}/voxcache-itk.pc.gen @ONLY)
  file(GENERATE OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/voxcache-itk.pc.in
    INPUT ${CMAKE_CURRENT_BINARY_DIR}/voxcache-itk.pc.gen)
  list(APPEND _pc_files voxcache-itk)
endif()

# At install time: the prefix filled in, then installed as any file.
foreach(_pc IN LISTS _pc_files)
  install(CODE "
    set(VOXCACHE_INSTALL_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
    configure_file(\"${CMAKE_CURRENT_BINARY_DIR}/${_pc}.pc.in\"
                   \"${CMAKE_CURRENT_BINARY_DIR}/pc-install/${_pc}.pc\" @ONLY)" COMPONENT dev)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/pc-install/${_pc}.pc
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)
endforeach()
