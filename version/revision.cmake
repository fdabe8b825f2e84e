# cmake -P script: writes OUTPUT from TEMPLATE with the git revision of SOURCE_DIR ("unknown"
# outside a git checkout), "-dirty" when tracked files differ from HEAD. configure_file leaves
# OUTPUT untouched when the text is the same. --no-optional-locks: a build must never take
# .git/index.lock (a concurrent `git commit` would fail); `git describe --dirty` would.
set(HAKMEM_GIT_REVISION unknown)
find_program(GIT git)
if(GIT)
  execute_process(COMMAND ${GIT} --no-optional-locks -C ${SOURCE_DIR} rev-parse --short=12 HEAD
    OUTPUT_VARIABLE _rev OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE _rc)
  if(_rc EQUAL 0 AND NOT _rev STREQUAL "")
    set(HAKMEM_GIT_REVISION ${_rev})
    execute_process(
      COMMAND ${GIT} --no-optional-locks -C ${SOURCE_DIR} status --porcelain --untracked-files=no
      OUTPUT_VARIABLE _changes OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE _rc)
    if(_rc EQUAL 0 AND NOT _changes STREQUAL "")
      string(APPEND HAKMEM_GIT_REVISION "-dirty")
    endif()
  endif()
endif()
configure_file(${TEMPLATE} ${OUTPUT} @ONLY)
