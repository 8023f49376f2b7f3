# Installs the public headers and the ziggydb library, and exports the CMake package
# (find_package(ZiggyDB) -> ZiggyDB::ziggydb) and a pkg-config file (ziggydb.pc).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(DIRECTORY include/ziggydb DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS ziggydb EXPORT ZiggyDBTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT ZiggyDBTargets NAMESPACE ZiggyDB::
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ZiggyDB)
configure_package_config_file(cmake/ZiggyDBConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/ZiggyDBConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ZiggyDB)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/ZiggyDBConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/ZiggyDBConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/ZiggyDBConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ZiggyDB)
configure_file(cmake/ziggydb.pc.in ${CMAKE_CURRENT_BINARY_DIR}/ziggydb.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/ziggydb.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
