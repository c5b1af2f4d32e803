# gear_add_test(<target> LABELS <labels...> SOURCES <files...>
#               [LIBRARIES <libs...>] [DEPENDS <targets...>] [GEARHOST]
#               [DEFINITIONS <defs...>] [INCLUDE_DIRECTORIES <dirs...>]
#               [STANDALONE] [PRECOMPILE_HEADERS <headers...>] [NO_PRECOMPILE_HEADERS])
#
# A GoogleTest executable (gtest_main) whose tests ctest discovers from the built binary
# (DISCOVERY_TIMEOUT 60) with the given LABELS. Compiled with -Wall -Wextra; LIBRARIES are linked
# before the defaults below, DEPENDS are targets to build first (plugins the tests load by path).
#
# By default a test links the host and the shared test support: tests/support/test_support.cpp is
# compiled in, tests/support is on the include path, gear_host and ZLIB are linked, and
# GEAR_FIXTURE_DIR / GEAR_PLUGIN_DIR name the fixture and built plugin folders; tests/support/
# test_pch.h is its precompiled header (when GEAR_PRECOMPILED_HEADERS is on; see
# GearPrecompiledHeaders.cmake). GEARHOST also defines GEARHOST_EXE (the gearhost binary) and
# builds gearhost first.
#
# STANDALONE: none of that, only GoogleTest and LIBRARIES (tests of a library on its own).
# PRECOMPILE_HEADERS replaces the default precompiled header (STANDALONE has none);
# NO_PRECOMPILE_HEADERS uses none (a target of one or two sources gains nothing from one).

include(GoogleTest)

set(GEAR_TEST_SUPPORT_DIR "${PROJECT_SOURCE_DIR}/tests/support")

function(gear_add_test target)
  cmake_parse_arguments(ARG "STANDALONE;GEARHOST;NO_PRECOMPILE_HEADERS" ""
                        "LABELS;SOURCES;LIBRARIES;DEPENDS;DEFINITIONS;INCLUDE_DIRECTORIES;PRECOMPILE_HEADERS"
                        ${ARGN})
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "gear_add_test(${target}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_SOURCES OR NOT ARG_LABELS)
    message(FATAL_ERROR "gear_add_test(${target}): SOURCES and LABELS are required")
  endif()
  if(ARG_STANDALONE AND ARG_GEARHOST)
    message(FATAL_ERROR "gear_add_test(${target}): GEARHOST needs the host support, not STANDALONE")
  endif()

  set(pch ${ARG_PRECOMPILE_HEADERS})
  if(ARG_STANDALONE)
    add_executable(${target} ${ARG_SOURCES})
    target_link_libraries(${target} PRIVATE ${ARG_LIBRARIES} GTest::gtest GTest::gtest_main)
  else()
    add_executable(${target} "${GEAR_TEST_SUPPORT_DIR}/test_support.cpp" ${ARG_SOURCES})
    target_include_directories(${target} PRIVATE "${GEAR_TEST_SUPPORT_DIR}")
    target_link_libraries(${target} PRIVATE ${ARG_LIBRARIES} gear_host GTest::gtest
                                            GTest::gtest_main ZLIB::ZLIB)
    target_compile_definitions(${target} PRIVATE
      GEAR_FIXTURE_DIR="${GEAR_FIXTURE_DIR}"
      GEAR_PLUGIN_DIR="${GEAR_PLUGIN_OUTPUT_DIRECTORY}")
    if(ARG_GEARHOST)
      target_compile_definitions(${target} PRIVATE GEARHOST_EXE="$<TARGET_FILE:gearhost>")
      list(APPEND ARG_DEPENDS gearhost)
    endif()
    if(NOT pch)
      set(pch "${GEAR_TEST_SUPPORT_DIR}/test_pch.h")
    endif()
  endif()
  if(ARG_INCLUDE_DIRECTORIES)
    target_include_directories(${target} PRIVATE ${ARG_INCLUDE_DIRECTORIES})
  endif()
  if(ARG_DEFINITIONS)
    target_compile_definitions(${target} PRIVATE ${ARG_DEFINITIONS})
  endif()
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  if(pch AND NOT ARG_NO_PRECOMPILE_HEADERS)
    gear_precompile_headers(${target} PRIVATE ${pch})
  endif()
  if(ARG_DEPENDS)
    add_dependencies(${target} ${ARG_DEPENDS})
  endif()
  list(LENGTH ARG_LABELS label_count)
  if(label_count EQUAL 1)
    gtest_discover_tests(${target} PROPERTIES LABELS ${ARG_LABELS} DISCOVERY_TIMEOUT 60)
  else()
    # The discovery script (GoogleTestAddTests.cmake, CMake 3.25) flattens a list-valued
    # property: "LABELS a;b" reaches ctest as LABELS a, and b is silently dropped. So the labels
    # go on in a ctest file read after the discovered tests, from the list of their names.
    gtest_discover_tests(${target} DISCOVERY_TIMEOUT 60)
    set(labels_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_labels.cmake")
    file(CONFIGURE OUTPUT "${labels_file}" @ONLY CONTENT "\
if(DEFINED ${target}_TESTS)
  set_tests_properties(\${${target}_TESTS} PROPERTIES LABELS \"${ARG_LABELS}\")
endif()
")
    set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${labels_file}")
  endif()
endfunction()
