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
  # GCC 12 at -O3 (the release preset) reports a false -Wrestrict inside std::string's operator+
  # when a literal is prepended to a temporary, `"k" + std::to_string(i)` (GCC PR 105329), a form
  # tests use throughout. Off for tests on GCC 12 only; the library and the tools keep it.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12
     AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${name} PRIVATE -Wno-restrict)
  endif()
  if(ZIGGY_TEST_CODE_O0)
    target_compile_options(${name} PRIVATE -O0)
  endif()
  add_test(NAME ${name} COMMAND ${name} --gtest_brief=1)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  set_tests_properties(${name} PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}")
endfunction()
