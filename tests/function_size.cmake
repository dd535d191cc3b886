# Runtime::create and the cloned child read as lists of named phases and steps (issue 13):
# clang-tidy's readability-function-size holds every function in these files to at most 60
# lines. One test per file so ctest runs them in parallel; each parses one file (~3 s CPU).
# Skipped (not failed) where clang-tidy is not installed.
find_program(BOXLAB_CLANG_TIDY NAMES clang-tidy clang-tidy-14)
set(BOXLAB_FUNCTION_SIZE_FILES
  core/src/runtime/create.cpp
  core/src/runtime/plan_child.cpp
  core/src/process/child_main.cpp
  core/src/fs/open_in_root.cpp
  core/src/fs/apply_mount.cpp
  core/src/fs/pivot.cpp
  core/src/fs/mount_plan.cpp)
foreach(file ${BOXLAB_FUNCTION_SIZE_FILES})
  get_filename_component(name ${file} NAME_WE)
  set(test "unit/function_size: ${name}")
  if(BOXLAB_CLANG_TIDY)
    add_test(NAME ${test}
             COMMAND ${BOXLAB_CLANG_TIDY} -p ${PROJECT_BINARY_DIR} --quiet
                     -checks=-*,readability-function-size
                     "-config={CheckOptions: [{key: readability-function-size.LineThreshold, value: 60}]}"
                     -warnings-as-errors=* ${PROJECT_SOURCE_DIR}/${file})
  else()
    add_test(NAME ${test} COMMAND sh -c "echo 'clang-tidy not found: skipped'; exit 77")
  endif()
  set_tests_properties(${test} PROPERTIES LABELS unit TIMEOUT 120 SKIP_RETURN_CODE 77)
endforeach()
