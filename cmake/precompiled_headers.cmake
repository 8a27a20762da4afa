# Precompiled headers for the whole tree.
#
# Most of a translation unit's compile time here is parsing the same few
# headers: the standard library, nlohmann/json, Asio, and in tests gtest and
# gmock (about 5 of the 12 s a typical test batch takes). Two precompiled
# headers are made once, each by a target of its own, and every C++ target
# reuses one: those that link gtest the one with gtest, the rest the other.
#
# A precompiled header only stands for the same #includes: each listed header
# is one a file could include anyway, so a target that reuses it compiles as if
# it had included them first. Each header is made with the tree's global
# definitions only (and gtest's for the tests' one), so every target that uses
# it defines at least those: clang refuses a header made with a macro the
# target lacks. GCC uses a header only where the macros it tests and the
# optimisation (on or off, NDEBUG) match, and parses the headers instead where
# they do not, correct but slow: -Winvalid-pch says so in the build log (a
# warning, not an error: a user's own flags must not break the build).
option(LIFELINE_PCH "Precompile the headers every file parses" ON)

set(LIFELINE_PCH_CODE_HEADERS
  <algorithm> <chrono> <cstdint> <functional> <map> <memory> <optional> <string>
  <string_view> <vector> <variant> <nlohmann/json.hpp> <asio.hpp>)
set(LIFELINE_PCH_TEST_HEADERS ${LIFELINE_PCH_CODE_HEADERS} <gtest/gtest.h> <gmock/gmock.h>)

# Every target defined in DIR and below.
function(lifeline_targets_below dir out)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  get_property(children DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(child ${children})
    lifeline_targets_below(${child} below)
    list(APPEND targets ${below})
  endforeach()
  set(${out} ${targets} PARENT_SCOPE)
endfunction()

function(lifeline_use_precompiled_headers)
  if(NOT LIFELINE_PCH)
    return()
  endif()
  lifeline_targets_below(${CMAKE_SOURCE_DIR} targets)
  set(pch_dir ${CMAKE_BINARY_DIR}/pch)
  file(WRITE ${pch_dir}/pch.cc "// The translation unit that makes the precompiled headers.\n")
  # The code's: what the daemon, its tools and the benchmarks include.
  add_library(lifeline_pch_code OBJECT ${pch_dir}/pch.cc)
  target_link_libraries(lifeline_pch_code PRIVATE nlohmann_json::nlohmann_json)
  target_precompile_headers(lifeline_pch_code PRIVATE ${LIFELINE_PCH_CODE_HEADERS})
  # The tests': the same and gtest, with gtest's own definitions.
  add_library(lifeline_pch_tests OBJECT ${pch_dir}/pch.cc)
  target_link_libraries(lifeline_pch_tests PRIVATE nlohmann_json::nlohmann_json GTest::gtest GTest::gmock)
  target_precompile_headers(lifeline_pch_tests PRIVATE ${LIFELINE_PCH_TEST_HEADERS})
  foreach(t ${targets})
    get_target_property(type ${t} TYPE)
    if(NOT type MATCHES "^(EXECUTABLE|STATIC_LIBRARY|SHARED_LIBRARY|OBJECT_LIBRARY)$")
      continue()
    endif()
    get_target_property(opt_out ${t} LIFELINE_NO_PCH)
    if(opt_out)
      continue()
    endif()
    get_target_property(sources ${t} SOURCES)
    list(FILTER sources INCLUDE REGEX "\\.(cc|cpp|cxx)$")
    if(NOT sources)
      continue()
    endif()
    get_target_property(libs ${t} LINK_LIBRARIES)
    if(libs AND "GTest::gtest" IN_LIST libs)
      target_precompile_headers(${t} REUSE_FROM lifeline_pch_tests)
    else()
      target_precompile_headers(${t} REUSE_FROM lifeline_pch_code)
    endif()
    target_compile_options(${t} PRIVATE -Winvalid-pch -Wno-error=invalid-pch)
  endforeach()
endfunction()
