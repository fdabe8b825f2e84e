# cmake -P script: writes OUTPUT from TEMPLATE with the git revision of SOURCE_DIR ("unknown"
# outside a git checkout). configure_file leaves OUTPUT untouched when the text is the same.
set(HAKMEM_GIT_REVISION unknown)
find_program(GIT git)
if(GIT)
  execute_process(COMMAND ${GIT} -C ${SOURCE_DIR} describe --always --dirty --abbrev=12
    OUTPUT_VARIABLE _rev OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE _rc)
  if(_rc EQUAL 0 AND NOT _rev STREQUAL "")
    set(HAKMEM_GIT_REVISION ${_rev})
  endif()
endif()
configure_file(${TEMPLATE} ${OUTPUT} @ONLY)
