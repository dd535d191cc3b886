# Benchmarks: executables built with the tests, never registered with ctest (they measure,
# they do not assert). include()d from tests/CMakeLists.txt. Run by hand, as root:
#   build/tests/bench_monitor_cost [--procs 100] [--rate 10] [--count 100]
add_executable(bench_monitor_cost
  ${CMAKE_CURRENT_LIST_DIR}/monitor_cost.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../support/test_support.cpp)
target_include_directories(bench_monitor_cost PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../support)
target_link_libraries(bench_monitor_cost PRIVATE boxlab-core)
target_compile_definitions(bench_monitor_cost PRIVATE BOXLAB_BIN="$<TARGET_FILE:boxlab>")
add_dependencies(bench_monitor_cost boxlab)

# Container start against crun and runc (see the file's header). Run as root:
#   build/tests/bench_container_start [--runs 100] [--json FILE]
add_executable(bench_container_start
  ${CMAKE_CURRENT_LIST_DIR}/container_start.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../support/test_support.cpp)
target_include_directories(bench_container_start PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../support)
target_link_libraries(bench_container_start PRIVATE boxlab-core)
target_compile_definitions(bench_container_start PRIVATE BOXLAB_BIN="$<TARGET_FILE:boxlab>"
  BOXLAB_SOURCE_DIR="${PROJECT_SOURCE_DIR}" BOXLAB_TEST_DATA="${PROJECT_SOURCE_DIR}/tests/data")
add_dependencies(bench_container_start boxlab)

# Image import against tar -x and umoci (see the file's header). Run as root:
#   build/tests/bench_image_import [--mb 100] [--runs 5] [--dir /var/tmp]
add_executable(bench_image_import
  ${CMAKE_CURRENT_LIST_DIR}/image_import.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../support/test_support.cpp)
target_include_directories(bench_image_import PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../support)
target_link_libraries(bench_image_import PRIVATE boxlab-core)
target_compile_definitions(bench_image_import PRIVATE BOXLAB_BIN="$<TARGET_FILE:boxlab>")
add_dependencies(bench_image_import boxlab)

# seccomp: Docker's default profile compiled vs read from the cache, and the child's load:
#   build/tests/bench_security_seccomp [--runs 50]
add_executable(bench_security_seccomp ${CMAKE_CURRENT_LIST_DIR}/security_seccomp.cpp)
target_link_libraries(bench_security_seccomp PRIVATE boxlab-core)
