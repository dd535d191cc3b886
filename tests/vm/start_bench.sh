#!/bin/sh
# In-guest half of bench-in-vm.sh: tests/bench/container_start (boxlab `oci run` against crun
# and runc, interleaved, four variants) on pure cgroup v2. /test/bench.env names the bench
# binary and its arguments. Exit status: the bench's (non-zero only when a runtime failed to
# start a container, or the bench could not set up); timing never fails it.
# shellcheck disable=SC1091 # written by bench-in-vm.sh
. /test/bench.env  # BENCH_BIN, BENCH_RUNS, BENCH_COMMIT

echo "start-bench: $(uname -r), $(nproc) vCPUs, tcg emulation: read the ratios, not the times"
echo "start-bench: $(boxlab --version 2>&1 | head -n 1) (${BENCH_COMMIT:-commit unknown})"
echo "start-bench: $(crun --version 2>&1 | head -n 1)"
echo "start-bench: $(runc --version 2>&1 | head -n 1)"
echo "start-bench: /proc/self/cgroup $(cat /proc/self/cgroup), $(grep -c cgroup2 /proc/mounts) cgroup2 mount, $(grep -c ' cgroup ' /proc/mounts) v1 mounts"

# The bench in a cgroup of its own (as `systemd-run --scope -p Delegate=yes` gives it): /init's
# cgroup holds this shell, and a cgroup with processes cannot delegate controllers.
mkdir -p /sys/fs/cgroup/bench
sh -c 'echo $$ > /sys/fs/cgroup/bench/cgroup.procs && exec "$@"' sh \
  "$BENCH_BIN" --runs "$BENCH_RUNS" --json /tmp/container_start.json
rc=$?
if [ -s /tmp/container_start.json ]; then
  echo "BENCH-JSON-BEGIN"
  cat /tmp/container_start.json
  echo "BENCH-JSON-END"
fi
echo "start-bench: bench exited with $rc"
exit "$rc"
