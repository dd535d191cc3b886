# VM tests: boxlab inside a pure cgroup v2 guest (Debian's kernel under qemu, see README.md).
# include()d from tests/CMakeLists.txt. Each test boots its own VM (~10-15 s of boot on tcg,
# plus the script), is labelled `vm` and `root`, and is skipped (exit 77) when qemu or a
# kernel is missing.
#
#   boxlab_add_vm_test(NAME SCRIPT [EXTRA_FILE[:NAME_IN_GUEST]...])
#
# adds the ctest `vm/NAME`, which runs SCRIPT as /test/run in the guest with /test/lib.sh
# (tests/vm/lib.sh) and the extra files under /test/. Relative paths are taken from tests/vm/.

set(BOXLAB_VM_DIR "${CMAKE_CURRENT_LIST_DIR}" CACHE INTERNAL "tests/vm")

function(boxlab_add_vm_test name script)
  set(files)
  foreach(file IN ITEMS ${script} ${ARGN})
    if(NOT IS_ABSOLUTE "${file}")
      set(file "${BOXLAB_VM_DIR}/${file}")
    endif()
    list(APPEND files "${file}")
  endforeach()
  add_test(NAME vm/${name}
           COMMAND ${BOXLAB_VM_DIR}/run-in-vm.sh $<TARGET_FILE:boxlab> ${files})
  # PROCESSORS 2: the guest has 2 vCPUs; under `ctest -jN` two VMs don't share two cores.
  set_tests_properties(vm/${name} PROPERTIES
    LABELS "vm;root"
    TIMEOUT 300
    SKIP_RETURN_CODE 77
    PROCESSORS 2)
endfunction()

boxlab_add_vm_test(smoke smoke.sh)
# The escape probe (tests/CMakeLists.txt builds it for root/security_escapes) goes along.
boxlab_add_vm_test(cgroup_v2 cgroup_v2.sh ${escape_probe})
boxlab_add_vm_test(oci_resources_v2 oci_resources_v2.sh)
# Rootless limits in a delegated subtree (issue 16): util-linux's setpriv drops to the user
# (busybox's cannot change uids); uidmap's newuidmap/newgidmap map /etc/subuid ranges.
boxlab_add_vm_test(rootless_v2 rootless_v2.sh)
set_tests_properties(vm/rootless_v2 PROPERTIES ENVIRONMENT "BOXLAB_VM_PROGRAMS=/usr/bin/setpriv /usr/bin/newuidmap /usr/bin/newgidmap")
# Network faults through the kernel (issue 21): Debian's kernel has sch_netem, the dev host's
# has not. tc (iproute2) goes into the guest; nsenter is busybox's.
boxlab_add_vm_test(chaos_netem chaos_netem.sh)
set_tests_properties(vm/chaos_netem PROPERTIES ENVIRONMENT
  "BOXLAB_VM_PROGRAMS=/usr/sbin/tc;BOXLAB_VM_MODULES=overlay sch_netem")
# `run --cgroup-delegate memory,pids` on pure v2 (issue 19): a delegated sub-tree the container
# manages through its cgroup namespace, its own limits out of reach.
boxlab_add_vm_test(cgroup_delegate_v2 cgroup_delegate_v2.sh)
# Exercise 06 graded on pure v2 (issue 19): solution, starter and the solution without its
# rmdir built on the host by the exercise's build (+ -static; the guest has no compiler), graded
# in the guest with `--build-command 'test -x mybox'`.
add_test(NAME vm/grade_ex06_v2
         COMMAND ${BOXLAB_VM_DIR}/grade-in-vm.sh
                 --ablate "keeps-cgroups=s/rmdir(it->c_str()) != 0/false/" $<TARGET_FILE:boxlab>
                 ${BOXLAB_VM_DIR}/../../exercises/06-cgroups ${BOXLAB_VM_DIR}/grade_ex06_v2.sh)
set_tests_properties(vm/grade_ex06_v2 PROPERTIES
  LABELS "vm;root"
  TIMEOUT 300
  SKIP_RETURN_CODE 77
  PROCESSORS 2)
