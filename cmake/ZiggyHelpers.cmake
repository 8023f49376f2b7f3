# ziggy_test_code_options(<target>)
# The compile options of test code: ZIGGY_TEST_CODE_OPT, and -Wno-restrict on GCC 12, which at -O3
# reports a false -Wrestrict inside std::string's operator+ when a literal is prepended to a
# temporary, `"k" + std::to_string(i)` (GCC PR 105329), a form tests use throughout (the library
# and the tools keep the warning).
function(ziggy_test_code_options target)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12
     AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(ZIGGY_TEST_CODE_OPT)
    target_compile_options(${target} PRIVATE ${ZIGGY_TEST_CODE_OPT})
  endif()
endfunction()

# ziggy_test_pch_host()
# Defines, once, the target whose precompiled header every test reuses: GoogleTest and the standard
# headers most tests include (parsing them was a third of a test's compile time). GCC accepts a
# reused header only when the flags that shape it match, so the host is compiled exactly like a
# test: an executable (-fPIE) with the same libraries and options. A test whose flags differ gets a
# -Winvalid-pch warning (an error under ZIGGY_WERROR) rather than a silently slower build.
function(ziggy_test_pch_host)
  if(TARGET ziggy_test_pch)
    return()
  endif()
  set(main ${PROJECT_BINARY_DIR}/ziggy_test_pch_main.cc)
  file(WRITE ${main} "int main() { return 0; }\n")
  add_executable(ziggy_test_pch EXCLUDE_FROM_ALL ${main})
  target_link_libraries(ziggy_test_pch PRIVATE ziggy_internal GTest::gtest)
  ziggy_test_code_options(ziggy_test_pch)
  target_precompile_headers(ziggy_test_pch PRIVATE
    <gtest/gtest.h> <algorithm> <atomic> <chrono> <cstdint> <cstdio> <filesystem> <functional>
    <map> <memory> <optional> <set> <string> <thread> <utility> <vector>)
endfunction()

# ziggy_add_test(<name> SOURCES <files...> LIBS <module libs...> [LABELS <labels...>] [TIMEOUT s])
# One GoogleTest executable, registered as one ctest test. Links the named module libraries (e.g.
# ziggy_wal, which brings the modules below it), GoogleTest with its main, RapidCheck's GoogleTest
# integration and the test helpers. Tests labelled `stress` run in `make stress` only.
function(ziggy_add_test name)
  if(NOT ZIGGY_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} ziggy_internal ziggy_testutil
    GTest::gtest GTest::gtest_main GTest::gmock rapidcheck rapidcheck_gtest)
  ziggy_test_code_options(${name})
  if(ZIGGY_TEST_PCH)
    ziggy_test_pch_host()
    target_precompile_headers(${name} REUSE_FROM ziggy_test_pch)
  endif()
  add_test(NAME ${name} COMMAND ${name} --gtest_brief=1)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  set_tests_properties(${name} PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}")
endfunction()
