# gear_add_plugin_library(<target> SOURCES <files...> [LIBRARIES <libs...>]
#                         [PRIVATE_LIBRARIES <libs...>] [INCLUDE_DIR <dir>])
#
# In-tree only: a static library of code that several plugins (and their tests) link, such as
# the growth machinery, the image ops or the image readers. Hidden visibility, so each plugin
# keeps its own copy and exports nothing but its descriptor; warnings on; the SDK and LIBRARIES
# are public, PRIVATE_LIBRARIES private; INCLUDE_DIR (default: the calling folder) is public.
# Position-independent code comes from the top-level CMAKE_POSITION_INDEPENDENT_CODE.

function(gear_add_plugin_library target)
  cmake_parse_arguments(ARG "" "INCLUDE_DIR" "SOURCES;LIBRARIES;PRIVATE_LIBRARIES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "gear_add_plugin_library(${target}): SOURCES is required")
  endif()
  if(NOT ARG_INCLUDE_DIR)
    set(ARG_INCLUDE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  endif()
  add_library(${target} STATIC ${ARG_SOURCES})
  target_include_directories(${target} PUBLIC "${ARG_INCLUDE_DIR}")
  target_link_libraries(${target} PUBLIC gear::sdk ${ARG_LIBRARIES}
                                  PRIVATE ${ARG_PRIVATE_LIBRARIES})
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  set_target_properties(${target} PROPERTIES CXX_VISIBILITY_PRESET hidden
                                             VISIBILITY_INLINES_HIDDEN ON)
endfunction()
