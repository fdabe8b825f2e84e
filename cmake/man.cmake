# Man pages made from each tool's --help and --version by Debian's help2man, at build time.
# Without help2man the pages are skipped (with a message) and nothing else changes.
find_program(HELP2MAN help2man)
if(NOT HELP2MAN)
  message(STATUS "man pages: help2man not found, skipped (apt-get install help2man)")
  return()
endif()

set(HAKMEM_MAN_DIR ${CMAKE_BINARY_DIR}/man/man1)
file(MAKE_DIRECTORY ${HAKMEM_MAN_DIR})
set(_hakmem_man_pages "")
# hakmem_man_page(NAME "one-line summary" COMMAND... DEPENDS...): NAME.1 from COMMAND --help.
function(hakmem_man_page name summary)
  cmake_parse_arguments(PARSE_ARGV 2 arg "" "" "COMMAND;DEPENDS")
  set(page ${HAKMEM_MAN_DIR}/${name}.1)
  add_custom_command(OUTPUT ${page}
    COMMAND ${HELP2MAN} --no-info --section=1 --name=${summary} --output=${page} ${arg_COMMAND}
    DEPENDS ${arg_DEPENDS}
    COMMENT "help2man ${name}"
    VERBATIM)
  set(_hakmem_man_pages ${_hakmem_man_pages} ${page} PARENT_SCOPE)
endfunction()

set(_summary_hakmem-server "RESP (Redis protocol) server on RocksDB, built to exercise hakmem")
set(_summary_hakmem-load "RESP load generator (YCSB A-D, F and larson workloads)")
set(_summary_hakmem-admin "inspect and tune a running hakmem-server")
set(_summary_hakmem-bench "allocator benchmarks (Larson, producer-consumer, idle owners, ...)")
foreach(tool hakmem-server hakmem-load hakmem-admin hakmem-bench)
  if(TARGET ${tool})
    hakmem_man_page(${tool} "${_summary_${tool}}" COMMAND $<TARGET_FILE:${tool}> DEPENDS ${tool})
  endif()
endforeach()

file(GLOB _compare_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/bench/compare/*.py)
hakmem_man_page(hakmem-compare "compare allocators end to end under hakmem-server"
  COMMAND ${PROJECT_SOURCE_DIR}/bench/hakmem-compare
  DEPENDS ${PROJECT_SOURCE_DIR}/bench/hakmem-compare ${_compare_sources})

add_custom_target(hakmem_man_pages ALL DEPENDS ${_hakmem_man_pages})
install(FILES ${_hakmem_man_pages} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
