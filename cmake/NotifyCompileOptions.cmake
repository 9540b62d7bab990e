# Warnings and sanitizer flags shared by every notify target. The code builds without
# warnings on GCC 12 and clang 14 in every build type; NOTIFY_WERROR turns them into errors
# for developers and scripts/test, never for a user's or a packager's build (a newer
# compiler's new warning must not break it).
add_compile_options(-Wall -Wextra -Wpedantic)
if(NOTIFY_WERROR)
  add_compile_options(-Werror)
endif()
# Calls inside a notify library bind locally instead of through the PLT.
add_compile_options(-fno-semantic-interposition)
# A shared library with a missing symbol must fail where it is built, not where it is used.
if(NOT NOTIFY_SANITIZE AND NOT NOTIFY_TSAN AND NOT NOTIFY_FUZZ)
  add_link_options($<$<STREQUAL:$<TARGET_PROPERTY:TYPE>,SHARED_LIBRARY>:LINKER:--no-undefined>)
endif()

if(NOTIFY_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined -fno-sanitize-recover=all)
endif()

if(NOTIFY_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "NOTIFY_FUZZ needs clang (e.g. CXX=clang++-14)")
  endif()
  # Coverage for the fuzzer everywhere; the fuzz executables add -fsanitize=fuzzer.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

if(NOTIFY_TSAN)
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()

# notify_module(<target> <alias>): the common shape of one notify library target.
function(notify_module target alias)
  add_library(notify::${alias} ALIAS ${target})
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME notify_${alias}
    EXPORT_NAME ${alias}
    VERSION ${PROJECT_VERSION}
    SOVERSION ${PROJECT_VERSION_MAJOR})
  target_include_directories(${target} PUBLIC
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_compile_features(${target} PUBLIC cxx_std_20)
  # Only shared builds are installed: a static build is for in-tree use and benches (its
  # private dependencies would all have to be found again by every consumer).
  if(BUILD_SHARED_LIBS)
    install(TARGETS ${target} EXPORT notifyTargets
      LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
      ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
      RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
    install(DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  endif()
endfunction()
