# cmake -DCLI=path/to/voxcache -DVERSION=x.y.z -DIN=voxcache.1.in -DOUT=voxcache.1 -P make_manpage.cmake
#
# Writes voxcache(1): the hand-written page IN with its OPTIONS and COMMANDS
# sections made by `voxcache help --roff` from the command line's own
# definitions, so the manual cannot drift from --help.

execute_process(COMMAND ${CLI} help --roff OUTPUT_VARIABLE generated RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT generated MATCHES "^\\.SH OPTIONS")
  message(FATAL_ERROR "${CLI} help --roff failed (${rc})")
endif()
file(READ ${IN} page)
# The page's date is the release's (the changelog's), not the build's: the
# same source makes the same page.
string(REPLACE "@GENERATED@\n" "${generated}" page "${page}")
string(REPLACE "@VERSION@" "${VERSION}" page "${page}")
string(REPLACE "@DATE@" "${DATE}" page "${page}")
file(WRITE ${OUT} "${page}")
