# cmake -DCLI=path/to/voxcache -DVERSION=x.y.z -DOUT=voxcache.1 -P make_manpage.cmake
#
# Writes a roff man page from `voxcache --help` and `voxcache CMD --help` for
# every subcommand listed there.

function(roff_escape text out)
  string(REPLACE "\\" "\\e" text "${text}")
  # A line may not start with a roff control character: prefix \& to it.
  string(REPLACE "\n." "\n\\&." text "\n${text}")
  string(REPLACE "\n'" "\n\\&'" text "${text}")
  string(SUBSTRING "${text}" 1 -1 text)
  string(REPLACE "-" "\\-" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

execute_process(COMMAND ${CLI} --help OUTPUT_VARIABLE main RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${CLI} --help failed (${rc})")
endif()
string(REGEX MATCH "Subcommands:\n(.*)" _ "${main}")
set(commands_text "${CMAKE_MATCH_1}")
string(REGEX MATCHALL "\n  ([a-z]+) " lines "\n${commands_text}")
set(commands "")
foreach(line IN LISTS lines)
  string(STRIP "${line}" name)
  list(APPEND commands "${name}")
endforeach()
string(REGEX REPLACE "^([^\n]*)\n.*" "\\1" summary "${main}")

roff_escape("${main}" main_roff)
set(page ".TH VOXCACHE 1 \"\" \"voxcache ${VERSION}\" \"User Commands\"
.SH NAME
voxcache \\- inspect and manage a voxcache database
.SH SYNOPSIS
.B voxcache
[\\fIOPTIONS\\fR] \\fISUBCOMMAND\\fR [\\fIARGS\\fR]
.SH DESCRIPTION
voxcache memoizes computed 3D images (segmentations, registrations, filtered
volumes) in one SQLite database, compressed and checksummed. This command
lists, shows, verifies, exports, imports and manages its entries. Every
command takes \\fB\\-\\-json\\fR for machine-readable output. Exit status: 0 on
success, 1 on an error, 2 on a usage error or an unknown key, 3 when gc could
not meet the limits.
.PP
.nf
${main_roff}
.fi
.SH COMMANDS
")
foreach(cmd IN LISTS commands)
  if(cmd STREQUAL "help")
    continue()
  endif()
  execute_process(COMMAND ${CLI} ${cmd} --help OUTPUT_VARIABLE help RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${CLI} ${cmd} --help failed (${rc})")
  endif()
  roff_escape("${help}" help_roff)
  string(APPEND page ".SS ${cmd}\n.nf\n${help_roff}\n.fi\n")
endforeach()
string(APPEND page ".SH FILES
.TP
.I ~/.cache/voxcache/cache.db
The default database (\\fB$VOXCACHE_DIR\\fR/cache.db, else
\\fB$XDG_CACHE_HOME\\fR/voxcache/cache.db), with its \\-wal and \\-shm files.
.SH ENVIRONMENT
.TP
.B VOXCACHE_DIR
Directory of the default database.
.TP
.B VOXCACHE_REMOTE
URL of the shared remote tier (redis:// or unix://).
.SH SEE ALSO
The on-disk format, the CLI reference and the benchmarks: docs/format.md,
docs/cli.md and docs/benchmarks.md in the source.
")
file(WRITE ${OUT} "${page}")
