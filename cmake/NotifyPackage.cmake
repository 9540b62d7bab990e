# Installs the CMake package config so a host project can find_package(notify).
include(CMakePackageConfigHelpers)

set(NOTIFY_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/notify)

install(EXPORT notifyTargets NAMESPACE notify:: DESTINATION ${NOTIFY_CMAKE_DIR})

configure_package_config_file(
  ${CMAKE_CURRENT_SOURCE_DIR}/cmake/notifyConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/notifyConfig.cmake
  INSTALL_DESTINATION ${NOTIFY_CMAKE_DIR}
  PATH_VARS NOTIFY_PLUGIN_INSTALL_DIR)
write_basic_package_version_file(
  ${CMAKE_CURRENT_BINARY_DIR}/notifyConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)

install(FILES
  ${CMAKE_CURRENT_SOURCE_DIR}/cmake/NotifyPlugin.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/notifyConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/notifyConfigVersion.cmake
  DESTINATION ${NOTIFY_CMAKE_DIR})
install(FILES config/server.conf.example DESTINATION ${CMAKE_INSTALL_DATADIR}/notify)

# The systemd unit for notify serve, pointing at the installed binary.
set(NOTIFY_INSTALL_FULL_BINDIR ${CMAKE_INSTALL_FULL_BINDIR})
configure_file(${CMAKE_CURRENT_SOURCE_DIR}/config/notify.service.in ${CMAKE_CURRENT_BINARY_DIR}/notify.service @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/notify.service DESTINATION lib/systemd/system)
