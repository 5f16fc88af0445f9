# pkg-config files for builds without CMake: voxcache.pc and, with the ITK
# adapter, voxcache-itk.pc. ITK ships no .pc of its own, so voxcache-itk.pc
# names ITK's include directory and the library files of the ITK targets
# voxcache_itk links (with their own dependencies), as this build found them.

# Relocatable: the prefix is found from the .pc file's own place, so an
# install with --prefix elsewhere works as well as a package under /usr.
file(RELATIVE_PATH VOXCACHE_PC_TO_PREFIX "${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig"
     "${CMAKE_INSTALL_PREFIX}")
string(REGEX REPLACE "/$" "" VOXCACHE_PC_TO_PREFIX "${VOXCACHE_PC_TO_PREFIX}")

set(VOXCACHE_PC_PRIVATE "-lsqlite3 -lzstd -llz4 -lxxhash -lcrypto -lhiredis -lpthread")
if(BUILD_SHARED_LIBS)
  set(VOXCACHE_PC_LIBS "-L\${libdir} -lvoxcache")
  set(VOXCACHE_PC_LIBS_PRIVATE "${VOXCACHE_PC_PRIVATE}")
else()
  set(VOXCACHE_PC_LIBS "-L\${libdir} -lvoxcache ${VOXCACHE_PC_PRIVATE}")
  set(VOXCACHE_PC_LIBS_PRIVATE "")
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/voxcache.pc.in ${CMAKE_CURRENT_BINARY_DIR}/voxcache.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/voxcache.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)

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
  set(VOXCACHE_PC_ITK_CFLAGS "")
  foreach(_dir IN LISTS ITK_INCLUDE_DIRS)
    string(APPEND VOXCACHE_PC_ITK_CFLAGS " -I${_dir}")
  endforeach()
  configure_file(${CMAKE_CURRENT_LIST_DIR}/voxcache-itk.pc.in
    ${CMAKE_CURRENT_BINARY_DIR}/voxcache-itk.pc.gen @ONLY)
  file(GENERATE OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/voxcache-itk.pc
    INPUT ${CMAKE_CURRENT_BINARY_DIR}/voxcache-itk.pc.gen)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/voxcache-itk.pc
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)
endif()
