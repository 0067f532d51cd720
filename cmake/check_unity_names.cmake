# The unity build (docs/performance.md, "The build") compiles lib/'s files outside lib/nn/ as one
# file, and app/'s as another. Two file-local functions (in an anonymous namespace) with one name
# in two of those files then meet: with the same parameters the build fails, but with different
# ones they become overloads, and a call in one file can silently pick the other file's function
# (a `split(const std::string&)` wins over a `split(std::string_view)` for a std::string). So no
# two such files may define a file-local function of the same name. Run as a script:
#   cmake -DROOT=<source dir> -P cmake/check_unity_names.cmake
# It fails naming each function and its files. The build runs it with the layer check.
cmake_minimum_required(VERSION 3.25)
if(NOT ROOT)
  message(FATAL_ERROR "usage: cmake -DROOT=<source dir> -P check_unity_names.cmake")
endif()
set(problems "")
set(count 0)
foreach(group lib app)
  file(GLOB_RECURSE files "${ROOT}/${group}/*.cpp")
  list(FILTER files EXCLUDE REGEX "/lib/nn/")
  foreach(f IN LISTS files)
    file(RELATIVE_PATH rel "${ROOT}" "${f}")
    # An anonymous namespace opens with "namespace {" and closes with "}  // namespace" at the
    # start of a line (the project's style); a definition inside starts at column 0.
    file(STRINGS "${f}" lines)
    set(inside FALSE)
    foreach(line IN LISTS lines)
      if(line MATCHES "^namespace {")
        set(inside TRUE)
      elseif(line MATCHES "^}  // namespace$")
        set(inside FALSE)
      elseif(inside AND NOT line MATCHES "^(return|using|namespace|typedef) " AND
             line MATCHES "^[A-Za-z][^;=(]*[ *&]([A-Za-z_][A-Za-z0-9_]*)\\(")
        set(name "${CMAKE_MATCH_1}")  # the last test of the condition set it
        math(EXPR count "${count} + 1")
        if(DEFINED where_${group}_${name} AND NOT where_${group}_${name} STREQUAL rel)
          if(NOT DEFINED told_${group}_${name}_${rel})  # once per pair of files
            set(told_${group}_${name}_${rel} TRUE)
            string(APPEND problems "\n  ${name}(): ${where_${group}_${name}} and ${rel}")
          endif()
        else()
          set(where_${group}_${name} "${rel}")
        endif()
      endif()
    endforeach()
  endforeach()
endforeach()
if(problems)
  message(FATAL_ERROR "file-local functions with one name in two files of a unity build "
                      "(rename one; cmake/check_unity_names.cmake says why):${problems}")
endif()
message(STATUS "unity files: ${count} file-local function definitions, no name in two files")
