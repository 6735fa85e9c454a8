# telecollect_add_test(NAME name SOURCES a_test.cc ... LIBS lib ...)
# Builds one GoogleTest binary and registers it with CTest under the "unit" label.
function(telecollect_add_test)
  cmake_parse_arguments(T "" "NAME" "SOURCES;LIBS" ${ARGN})
  if(NOT TELECOLLECT_TESTS)
    return()
  endif()
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main)
  add_test(NAME ${T_NAME} COMMAND ${T_NAME})
  set_property(GLOBAL APPEND PROPERTY TELECOLLECT_UNIT_TESTS ${T_NAME})
  set_tests_properties(${T_NAME} PROPERTIES LABELS unit
    ENVIRONMENT "TELECOLLECT_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
endfunction()
