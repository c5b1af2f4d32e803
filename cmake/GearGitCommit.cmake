# gear_git_commit_source(<target> <output.cpp>)
#
# A custom target <target> that, at every build, writes <output.cpp> defining
# gear::host::git_commit(): the short commit of the source tree, "<sha>-dirty" when tracked files
# differ from it, "unknown" outside a git checkout. The file is rewritten only when that text
# changed, so a build with no new commit recompiles nothing; a new commit recompiles this one small
# translation unit (no LibTorch headers, outside unity batches and precompiled headers). Add
# <output.cpp> to a target's sources in the same directory and make the target depend on <target>.
#
# Run as a script (cmake -P, what the custom target does) with GIT_EXECUTABLE, SOURCE_DIR and
# OUTPUT, it writes the file.

if(CMAKE_SCRIPT_MODE_FILE)
  set(commit "unknown")
  if(GIT_EXECUTABLE)
    execute_process(COMMAND "${GIT_EXECUTABLE}" rev-parse --short HEAD
                    WORKING_DIRECTORY "${SOURCE_DIR}" RESULT_VARIABLE rc
                    OUTPUT_VARIABLE sha OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(rc EQUAL 0 AND sha)
      set(commit "${sha}")
      # Tracked files only (staged or not); --no-optional-locks: a build never writes the index.
      execute_process(COMMAND "${GIT_EXECUTABLE}" --no-optional-locks status --porcelain
                              --untracked-files=no
                      WORKING_DIRECTORY "${SOURCE_DIR}" RESULT_VARIABLE rc
                      OUTPUT_VARIABLE changes ERROR_QUIET)
      if(rc EQUAL 0 AND NOT changes STREQUAL "")
        string(APPEND commit "-dirty")
      endif()
    endif()
  endif()
  set(text "// Generated at build time by cmake/GearGitCommit.cmake: the commit of this build.
namespace gear::host {
const char* git_commit() { return \"${commit}\"; }
}  // namespace gear::host
")
  set(old "")
  if(EXISTS "${OUTPUT}")
    file(READ "${OUTPUT}" old)
  endif()
  if(NOT old STREQUAL text)
    file(WRITE "${OUTPUT}" "${text}")
    message(STATUS "GEAR commit: ${commit}")
  endif()
  return()
endif()

set(GEAR_GIT_COMMIT_SCRIPT "${CMAKE_CURRENT_LIST_FILE}")
find_package(Git QUIET)

function(gear_git_commit_source target output)
  add_custom_target(${target}
    COMMAND "${CMAKE_COMMAND}" "-DGIT_EXECUTABLE=${GIT_EXECUTABLE}"
            "-DSOURCE_DIR=${PROJECT_SOURCE_DIR}" "-DOUTPUT=${output}" -P "${GEAR_GIT_COMMIT_SCRIPT}"
    BYPRODUCTS "${output}"
    VERBATIM)
  set_source_files_properties("${output}" PROPERTIES GENERATED TRUE
                              SKIP_UNITY_BUILD_INCLUSION TRUE SKIP_PRECOMPILE_HEADERS TRUE)
endfunction()
