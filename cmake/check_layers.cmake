# The direction of dependencies in lib/ (docs/architecture.md): each folder is a layer, and a file
# may include headers of its own layer and of the layers below it, never of one above:
#
#   base < config < data < nn < run < sweep < lab
#
# Every library include names its folder ("nn/mlp.h"); lib/ never includes app/. Run as a script:
#   cmake -DROOT=<source dir> -P cmake/check_layers.cmake
# It fails listing every include that goes the wrong way. The build runs it on every build (the
# check_layers target) and CTest as the test "layers".
cmake_minimum_required(VERSION 3.25)
set(layers base config data nn run sweep lab)
if(NOT ROOT)
  message(FATAL_ERROR "usage: cmake -DROOT=<source dir> -P check_layers.cmake")
endif()
file(GLOB_RECURSE files "${ROOT}/lib/*.h" "${ROOT}/lib/*.cpp" "${ROOT}/lib/*.in")
set(problems "")
set(count 0)
foreach(f IN LISTS files)
  file(RELATIVE_PATH rel "${ROOT}/lib" "${f}")
  string(REGEX MATCH "^[^/]+" layer "${rel}")
  list(FIND layers "${layer}" rank)
  if(rank EQUAL -1 OR NOT rel MATCHES "/")
    string(APPEND problems "\n  lib/${rel}: not in a layer folder (${layers})")
    continue()
  endif()
  file(STRINGS "${f}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([^\"]+)\".*" "\\1" inc "${line}")
    math(EXPR count "${count} + 1")
    string(REGEX MATCH "^[^/]+" target "${inc}")
    list(FIND layers "${target}" target_rank)
    if(NOT inc MATCHES "/" OR target_rank EQUAL -1)
      string(APPEND problems "\n  lib/${rel}: #include \"${inc}\" names no layer folder of lib/")
    elseif(target_rank GREATER rank)
      string(APPEND problems
             "\n  lib/${rel}: #include \"${inc}\": ${layer} is below ${target} and must not include it")
    endif()
  endforeach()
endforeach()
if(problems)
  message(FATAL_ERROR "lib/ layers (base < config < data < nn < run < sweep < lab):${problems}")
endif()
message(STATUS "lib/ layers: ${count} includes, all downward")
