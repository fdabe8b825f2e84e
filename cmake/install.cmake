# install(): libhakmem.a (hakmem::hakmem), the preload libhakmem.so (hakmem::preload), the public
# headers, the tools, a CMake package (find_package(hakmem)) and hakmem.pc. Everything is
# relocatable: `cmake --install build --prefix P` works for any P.
include(CMakePackageConfigHelpers)
set(HAKMEM_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/hakmem)

set_target_properties(hakmem PROPERTIES EXPORT_NAME hakmem)
install(TARGETS hakmem EXPORT hakmemTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY allocator/include/hakmem DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# Not built under a sanitizer (see allocator/override/CMakeLists.txt); the package then has no
# hakmem::preload.
if(TARGET hakmem_preload)
  # Linking it (rather than preloading it) also replaces the program's malloc, and gives the
  # hak_* API: the header comes with it.
  target_include_directories(hakmem_preload INTERFACE
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/allocator/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  set_target_properties(hakmem_preload PROPERTIES EXPORT_NAME preload)
  install(TARGETS hakmem_preload EXPORT hakmemTargets LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
endif()

install(EXPORT hakmemTargets NAMESPACE hakmem:: DESTINATION ${HAKMEM_INSTALL_CMAKEDIR})
configure_package_config_file(cmake/hakmemConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/hakmemConfig.cmake INSTALL_DESTINATION ${HAKMEM_INSTALL_CMAKEDIR})
# 0.x: a minor version may break the API, so only the same MAJOR.MINOR is compatible.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/hakmemConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/hakmemConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/hakmemConfigVersion.cmake DESTINATION ${HAKMEM_INSTALL_CMAKEDIR})

# pkg-config: the prefix is found from the .pc file's own place (${pcfiledir}).
set(HAKMEM_INSTALL_PKGCONFIGDIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
file(RELATIVE_PATH HAKMEM_PC_TO_PREFIX /prefix/${HAKMEM_INSTALL_PKGCONFIGDIR} /prefix)
string(REGEX REPLACE "/$" "" HAKMEM_PC_TO_PREFIX "${HAKMEM_PC_TO_PREFIX}")
configure_file(cmake/hakmem.pc.in ${CMAKE_CURRENT_BINARY_DIR}/hakmem.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/hakmem.pc DESTINATION ${HAKMEM_INSTALL_PKGCONFIGDIR})

# The tools that exist in this build (a part may be missing from a partial checkout).
foreach(tool hakmem-server hakmem-load hakmem-admin hakmem-bench)
  if(TARGET ${tool})
    install(TARGETS ${tool} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  endif()
endforeach()

# hakmem-compare: its Python package goes to share/hakmem/python, and a configured script that
# defaults --build to the install prefix (which holds bin/ and the library) to bin/.
configure_file(cmake/hakmem-compare.in ${CMAKE_CURRENT_BINARY_DIR}/hakmem-compare @ONLY)
install(PROGRAMS ${CMAKE_CURRENT_BINARY_DIR}/hakmem-compare DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY bench/compare/ DESTINATION ${CMAKE_INSTALL_DATADIR}/hakmem/python/compare
  FILES_MATCHING PATTERN "*.py" PATTERN "__pycache__" EXCLUDE)
