# Benchmarks: executables built with the tests, never registered with ctest (they measure,
# they do not assert). include()d from tests/CMakeLists.txt. Run by hand, as root:
#   build/tests/bench_monitor_cost [--procs 100] [--rate 10] [--count 100]
# A benchmark on the tests' support code (TempRoot, running boxlab), with the definitions the
# tests get too.
function(boxlab_bench name source)
  add_executable(${name} ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/${source}
                 ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/../support/test_support.cpp)
  target_include_directories(${name} PRIVATE ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/../support)
  target_link_libraries(${name} PRIVATE boxlab-core)
  target_compile_definitions(${name} PRIVATE BOXLAB_BIN="$<TARGET_FILE:boxlab>"
    BOXLAB_SOURCE_DIR="${PROJECT_SOURCE_DIR}" BOXLAB_TEST_DATA="${PROJECT_SOURCE_DIR}/tests/data")
  add_dependencies(${name} boxlab)
endfunction()

boxlab_bench(bench_monitor_cost monitor_cost.cpp)

# Container start against crun and runc (see the file's header). Run as root:
#   build/tests/bench_container_start [--runs 100] [--json FILE]
boxlab_bench(bench_container_start container_start.cpp)

# Image import against tar -x and umoci (see the file's header). Run as root:
#   build/tests/bench_image_import [--mb 100] [--runs 5] [--dir /var/tmp]
boxlab_bench(bench_image_import image_import.cpp)

# seccomp: Docker's default profile compiled vs read from the cache, and the child's load:
#   build/tests/bench_security_seccomp [--runs 50]
add_executable(bench_security_seccomp ${CMAKE_CURRENT_LIST_DIR}/security_seccomp.cpp)
target_link_libraries(bench_security_seccomp PRIVATE boxlab-core)

# Grading 30 submissions of one exercise, compile excluded (see the file's header). Run as root:
#   build/tests/bench_grade_batch [--exercise 04-uts-ipc] [--count 30] [--jobs 2]
boxlab_bench(bench_grade_batch grade_batch.cpp)

# The simulated fleet's speed, 10,000 containers on 100 nodes (issue 21: >= 100x real time).
# No root:  build/tests/bench_fleet [--seconds 600] [--deployments 10] [--replicas 1000]
add_executable(bench_fleet ${CMAKE_CURRENT_LIST_DIR}/fleet.cpp)
target_link_libraries(bench_fleet PRIVATE boxlab-core)
