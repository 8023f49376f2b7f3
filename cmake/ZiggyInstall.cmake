# Installs the public headers and both engine libraries (libziggydb.a and libziggydb.so, the
# latter with its versioned SONAME and symlinks), and exports the CMake package and the
# pkg-config files.
#
# CMake: find_package(ZiggyDB) defines ZiggyDB::ziggydb, the static library unless the component
# `shared` is asked for (find_package(ZiggyDB COMPONENTS shared)); ZiggyDB::ziggydb_static and
# ZiggyDB::ziggydb_shared name each one directly. pkg-config: `ziggydb` links the shared library
# (-lziggydb finds the .so before the .a), `ziggydb-static` the static one with its dependencies.
#
# Both descriptions are relocatable: `cmake --install <build> --prefix <anywhere>` yields a tree that
# works where it lands. The static target carries its link dependencies (Threads and the
# compression and hash libraries, by plain name), so a consumer needs only
# target_link_libraries(app ZiggyDB::ziggydb).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(ZIGGY_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/ZiggyDB)
# The third-party libraries libziggydb.a needs, by the names the linker resolves (-l<name>): the
# plain (non-target) names src/CMakeLists.txt links `ziggydb` with, so that file stays the one list.
# They feed the pkg-config Libs.private line and the package's own check that they exist.
set(ZIGGY_INSTALL_LINK_NAMES)
get_target_property(ziggy_link_items ziggydb INTERFACE_LINK_LIBRARIES)
foreach(item IN LISTS ziggy_link_items)
  if(item MATCHES "^\\$<LINK_ONLY:([A-Za-z0-9_.+-]+)>$")
    set(item ${CMAKE_MATCH_1})
  endif()
  if(item MATCHES "^[A-Za-z0-9_.+-]+$" AND NOT TARGET ${item})
    list(APPEND ZIGGY_INSTALL_LINK_NAMES ${item})
  endif()
endforeach()

install(DIRECTORY include/ziggydb DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")
set_target_properties(ziggydb PROPERTIES EXPORT_NAME ziggydb_static)
set_target_properties(ziggydb_shared PROPERTIES EXPORT_NAME ziggydb_shared)
install(TARGETS ziggydb ziggydb_shared EXPORT ZiggyDBTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT ZiggyDBTargets NAMESPACE ZiggyDB:: DESTINATION ${ZIGGY_INSTALL_CMAKEDIR})

configure_package_config_file(cmake/ZiggyDBConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/ZiggyDBConfig.cmake
  INSTALL_DESTINATION ${ZIGGY_INSTALL_CMAKEDIR})
# 0.x: a minor release may break the API, so only the same MAJOR.MINOR satisfies a request.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/ZiggyDBConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/ZiggyDBConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/ZiggyDBConfigVersion.cmake
  DESTINATION ${ZIGGY_INSTALL_CMAKEDIR})

# pkg-config: the prefix is found from the .pc file's own location (${pcfiledir}), so the file
# stays right whatever --prefix the install used. A relative libdir sits a fixed number of levels
# below the prefix; an absolute one is taken as is.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(ZIGGY_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(ZIGGY_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  file(RELATIVE_PATH ZIGGY_PC_UP "/root/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/root")
  string(REGEX REPLACE "/$" "" ZIGGY_PC_UP "${ZIGGY_PC_UP}")
  set(ZIGGY_PC_PREFIX "\${pcfiledir}/${ZIGGY_PC_UP}")
  set(ZIGGY_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(ZIGGY_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(ZIGGY_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
list(TRANSFORM ZIGGY_INSTALL_LINK_NAMES PREPEND "-l" OUTPUT_VARIABLE ZIGGY_PC_PRIVATE_LIBS)
list(JOIN ZIGGY_PC_PRIVATE_LIBS " " ZIGGY_PC_PRIVATE_LIBS)
configure_file(cmake/ziggydb.pc.in ${CMAKE_CURRENT_BINARY_DIR}/ziggydb.pc @ONLY)
configure_file(cmake/ziggydb-static.pc.in ${CMAKE_CURRENT_BINARY_DIR}/ziggydb-static.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/ziggydb.pc ${CMAKE_CURRENT_BINARY_DIR}/ziggydb-static.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
