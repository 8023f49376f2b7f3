# ziggy_add_test(<name> SOURCES <files...> [LIBS <targets...>] [LABELS <labels...>])
# One GoogleTest executable, registered as one ctest test. Links the engine library, GoogleTest
# (with its main) and RapidCheck's GoogleTest integration.
function(ziggy_add_test name)
  if(NOT ZIGGY_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ziggydb ziggy_internal ziggy_testutil ${ARG_LIBS}
    GTest::gtest GTest::gtest_main GTest::gmock rapidcheck rapidcheck_gtest)
  add_test(NAME ${name} COMMAND ${name} --gtest_brief=1)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  set_tests_properties(${name} PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}")
endfunction()
