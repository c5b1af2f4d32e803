# gear_precompile_headers(<target> <target_precompile_headers arguments...>)
#
# target_precompile_headers() when GEAR_PRECOMPILED_HEADERS is on, nothing otherwise. Measured on
# 2 cores with GCC 12: a precompiled header takes 30-60 s to build and saves 2-3 s per translation
# unit that uses it (LibTorch units spend most of their time instantiating templates, not
# parsing). That pays off when a target compiles file by file (incremental builds), not when a
# unity build turns each target into one or two translation units.
function(gear_precompile_headers target)
  if(GEAR_PRECOMPILED_HEADERS)
    target_precompile_headers(${target} ${ARGN})
  endif()
endfunction()
