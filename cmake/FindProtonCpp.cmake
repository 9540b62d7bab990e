# Finds Qpid Proton C++ (Debian: libqpid-proton-cpp12-dev), which ships no CMake config and
# a pkg-config file naming modules Debian does not have. Provides ProtonCpp::ProtonCpp.
find_path(ProtonCpp_INCLUDE_DIR proton/container.hpp)
find_library(ProtonCpp_LIBRARY qpid-proton-cpp)
find_library(ProtonC_LIBRARY qpid-proton)  # the C API, for what the C++ API does not expose
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(ProtonCpp REQUIRED_VARS ProtonCpp_LIBRARY ProtonC_LIBRARY ProtonCpp_INCLUDE_DIR)
if(ProtonCpp_FOUND AND NOT TARGET ProtonCpp::ProtonCpp)
  add_library(ProtonCpp::ProtonCpp UNKNOWN IMPORTED)
  set_target_properties(ProtonCpp::ProtonCpp PROPERTIES
    IMPORTED_LOCATION "${ProtonCpp_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${ProtonCpp_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES "${ProtonC_LIBRARY}")
endif()
mark_as_advanced(ProtonCpp_INCLUDE_DIR ProtonCpp_LIBRARY ProtonC_LIBRARY)
