# gear_add_plugin(<target> SOURCES <files...> [LIBRARIES <libs...>] [NO_INSTALL] [OUTPUT_DIRECTORY <dir>])
#
# Builds a GEAR plugin: a MODULE library named gear_<target>.so that links only the SDK (and the
# libraries given), exports only its descriptor (hidden visibility) and is never unloaded
# (-z nodelete), as the host requires.

function(gear_add_plugin target)
  cmake_parse_arguments(ARG "NO_INSTALL" "OUTPUT_DIRECTORY" "SOURCES;LIBRARIES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "gear_add_plugin(${target}): SOURCES is required")
  endif()
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE gear::sdk ${ARG_LIBRARIES})
  target_compile_features(${target} PRIVATE cxx_std_17)
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  target_link_options(${target} PRIVATE -Wl,-z,nodelete -Wl,--no-undefined)
  if(NOT ARG_OUTPUT_DIRECTORY)
    if(DEFINED GEAR_PLUGIN_OUTPUT_DIRECTORY)
      set(ARG_OUTPUT_DIRECTORY "${GEAR_PLUGIN_OUTPUT_DIRECTORY}")
    else()
      # Out of tree: the top of the build folder, which `gearhost --plugin-path <build>` searches.
      set(ARG_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}")
    endif()
  endif()
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    OUTPUT_NAME "gear_${target}"
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIRECTORY}")
  if(NOT ARG_NO_INSTALL AND DEFINED GEAR_PLUGIN_INSTALL_DIR)
    install(TARGETS ${target} LIBRARY DESTINATION "${GEAR_PLUGIN_INSTALL_DIR}")
  endif()
endfunction()
