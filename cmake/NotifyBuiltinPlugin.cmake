# notify_builtin_plugin(<name> SOURCES <source>... [LIBRARIES <library>...])
#
# A handler plugin of this tree. In shared builds it is a loadable module,
# notify_handler_<name>.so, in <build>/lib/notify/plugins (installed to
# <libdir>/notify/plugins), which the notify tool loads at run time like any other plugin.
# In static builds it is linked into the tool instead (cli/ lists it). <name> is the
# plugin's NOTIFY_PLUGIN identifier.
include(NotifyPlugin)

set(NOTIFY_PLUGIN_BUILD_DIR ${PROJECT_BINARY_DIR}/lib/notify/plugins)
set(NOTIFY_PLUGIN_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/notify/plugins)

function(notify_builtin_plugin name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  set(target notify_plugin_${name})
  if(BUILD_SHARED_LIBS)
    notify_add_plugin(${target} OUTPUT_NAME notify_handler_${name} SOURCES ${ARG_SOURCES})
    target_link_libraries(${target} PRIVATE ${ARG_LIBRARIES})
    set_target_properties(${target} PROPERTIES
      LIBRARY_OUTPUT_DIRECTORY ${NOTIFY_PLUGIN_BUILD_DIR}
      INSTALL_RPATH "$ORIGIN/../..")
    install(TARGETS ${target} LIBRARY DESTINATION ${NOTIFY_PLUGIN_INSTALL_DIR})
  else()
    add_library(${target} STATIC ${ARG_SOURCES})
    target_compile_definitions(${target} PRIVATE NOTIFY_PLUGIN_LINKED)
    target_link_libraries(${target} PUBLIC notify::core ${ARG_LIBRARIES})
  endif()
  set_property(GLOBAL APPEND PROPERTY NOTIFY_BUILTIN_PLUGINS ${name})
endfunction()
