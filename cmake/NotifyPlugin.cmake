# notify_add_plugin(<target> SOURCES <source>... [OUTPUT_NAME <name>])
#
# A handler plugin: a shared library (a CMake MODULE, no "lib" prefix) linked against
# notify::core, loadable by notify and by hosts that load plugins (docs/plugins.md). Link
# what the handler needs with target_link_libraries(<target> PRIVATE ...). Install it into
# a folder named by [plugins] path, or into notify's own plugin folder, ${NOTIFY_PLUGIN_DIR}.
function(notify_add_plugin target)
  cmake_parse_arguments(ARG "" "OUTPUT_NAME" "SOURCES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "notify_add_plugin(${target}): SOURCES is required")
  endif()
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE notify::core)
  target_compile_features(${target} PRIVATE cxx_std_20)
  set_target_properties(${target} PROPERTIES PREFIX "")
  if(ARG_OUTPUT_NAME)
    set_target_properties(${target} PROPERTIES OUTPUT_NAME ${ARG_OUTPUT_NAME})
  endif()
  # A plugin with a missing symbol must fail where it is built, not where it is loaded.
  # (Sanitizer builds leave the sanitizer's symbols to the program.)
  if(NOT NOTIFY_SANITIZE AND NOT NOTIFY_TSAN AND NOT NOTIFY_FUZZ AND NOT CMAKE_CXX_FLAGS MATCHES "sanitize")
    target_link_options(${target} PRIVATE LINKER:--no-undefined)
  endif()
endfunction()
