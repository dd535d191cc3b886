#!/bin/sh
# In-guest linux.resources of OCI bundles on pure cgroup v2 (issue 15): cpu.mems, a blkio
# weight (io.weight, runc's conversion), hugepageLimits, unified keys and realtime-free cpu
# reach their files; what v2 cannot enforce (realtime, swappiness, disableOOMKiller, network,
# leaf weights, per-device weights without BFQ, rdma on a host with no rdma device, unified keys
# of controllers not enabled or files that do not exist) is refused with the JSON pointer, and
# nothing is left behind. runc and crun are not in the guest: values are the ones runc 1.1's v2
# code writes.
# shellcheck source=./lib.sh
. /test/lib.sh

# Every controller the root offers, passed on to each scope below.
use_scope boxlab-res
avail=$(cat "$SCOPE/cgroup.subtree_control")
echo "controllers handed to the scopes: $avail"

B=/tmp/res-bundle
mkdir -p "$B/rootfs/bin" "$B/rootfs/proc"
cp /bin/busybox "$B/rootfs/bin/busybox"
for a in sh sleep; do ln -sf busybox "$B/rootfs/bin/$a"; done

# bundle RESOURCES-JSON: config.json with these linux.resources.
bundle() {
  cat > "$B/config.json" <<EOF
{"ociVersion": "1.0.2",
 "process": {"terminal": false, "user": {"uid": 0, "gid": 0}, "args": ["sleep", "30"],
             "env": ["PATH=/bin"], "cwd": "/"},
 "root": {"path": "rootfs"},
 "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
 "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "ipc"}, {"type": "uts"}],
           "resources": $1}}
EOF
}

n=0
# applied RESOURCES FILE... : create, print FILE=VALUE (first line) from the container's cgroup, delete.
applied() {
  n=$((n + 1))
  bundle "$1"
  shift
  # stderr to a file: the created container's init inherits it and lives on.
  if ! bxs oci create --bundle "$B" "res$n" </dev/null >/dev/null 2>/tmp/res.err; then
    echo "create failed: $(cat /tmp/res.err)"
    return
  fi
  pid=$(bx oci state "res$n" | tr -d ' \n' | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')
  dir=/sys/fs/cgroup$(sed -n 's/^0:://p' "/proc/$pid/cgroup")
  for f in "$@"; do echo "$f=$(head -n1 "$dir/$f")"; done
  bx oci delete -f "res$n" >/dev/null 2>&1
}
# refused NAME RESOURCES POINTER: create fails and the error names POINTER.
refused() {
  n=$((n + 1))
  bundle "$2"
  bxs oci create --bundle "$B" "res$n" </dev/null >/dev/null 2>/tmp/res.err
  code=$?
  out=$(cat /tmp/res.err)
  [ "$code" = 0 ] && bx oci delete -f "res$n" >/dev/null 2>&1
  check "$1: refused (exit $code)" [ "$code" != 0 ]
  expect_match "$1: the error names $3" "$3" "$out"
  expect_eq "$1: nothing listed" "" "$(bx oci list -q)"
}

# --- applied -----------------------------------------------------------------------------------
expect_eq "cpu.mems -> cpuset.mems" "cpuset.mems=0" "$(applied '{"cpu": {"mems": "0"}}' cpuset.mems)"
got=$(applied '{"blockIO": {"weight": 500}}' io.weight io.bfq.weight 2>/dev/null)
case "$got" in
  *"io.bfq.weight=default 500"*) pass "blockIO.weight -> io.bfq.weight 500 (BFQ)";;
  *) expect_match "blockIO.weight -> io.weight 4950 (runc: 1 + (w - 10) * 9999 / 990)" \
       "io.weight=default 4950" "$got";;
esac
if [ -e /sys/kernel/mm/hugepages/hugepages-2048kB ] && echo "$avail" | grep -qw hugetlb; then
  expect_eq "hugepageLimits 2MB -> hugetlb.2MB.max" "hugetlb.2MB.max=4194304" \
    "$(applied '{"hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}]}' hugetlb.2MB.max)"
fi
expect_eq "unified memory.high and pids.max" "memory.high=52428800
pids.max=42" "$(applied '{"unified": {"memory.high": "52428800", "pids.max": "42"}}' memory.high pids.max)"
# unified overrides a field, as in runc (it is written last).
expect_eq "unified wins over memory.limit" "memory.max=41943040" \
  "$(applied '{"memory": {"limit": 33554432}, "unified": {"memory.max": "41943040"}}' memory.max)"

# --- refused -----------------------------------------------------------------------------------
refused "realtimeRuntime" '{"cpu": {"realtimeRuntime": 1000}}' \
  '/linux/resources/cpu/realtimeRuntime: cgroup v2 has no realtime'
refused "swappiness" '{"memory": {"swappiness": 10}}' \
  '/linux/resources/memory/swappiness: cgroup v2 has no per-cgroup swappiness'
refused "disableOOMKiller" '{"memory": {"disableOOMKiller": true}}' \
  '/linux/resources/memory/disableOOMKiller: cgroup v2 cannot'
refused "network.classID" '{"network": {"classID": 1048577}}' \
  '/linux/resources/network/classID: cgroup v2 has no net_cls'
refused "leafWeight" '{"blockIO": {"leafWeight": 500}}' \
  '/linux/resources/blockIO/leafWeight: cgroup v2 has no leaf weights'
if [ ! -e /sys/block ] || ! grep -qs '\[bfq\]' /sys/block/*/queue/scheduler; then
  refused "weightDevice without BFQ" '{"blockIO": {"weightDevice": [{"major": 1, "minor": 0, "weight": 500}]}}' \
    '/linux/resources/blockIO/weightDevice/0/weight: per-device weights need the BFQ'
fi
# A ramdisk (1:0) is no disk the throttler takes: the kernel says ENODEV or EINVAL.
refused "throttle on a non-disk" '{"blockIO": {"throttleReadBpsDevice": [{"major": 1, "minor": 0, "rate": 1}]}}' \
  '/linux/resources/blockIO/throttleReadBpsDevice/0: write'
if echo "$avail" | grep -qw rdma; then
  refused "rdma without such a device" '{"rdma": {"mlx5_1": {"hcaHandles": 3}}}' \
    '/linux/resources/rdma/mlx5_1: write'
else
  refused "rdma not delegated" '{"rdma": {"mlx5_1": {"hcaHandles": 3}}}' \
    '/linux/resources/rdma: the rdma controller is not available'
fi
refused "unified file that does not exist" '{"unified": {"memory.nonsense": "1"}}' \
  '/linux/resources/unified/memory.nonsense: the memory controller has no file'
refused "unified cgroup.* key" '{"unified": {"cgroup.procs": "1"}}' \
  '/linux/resources/unified/cgroup.procs: cgroup.\* files belong to the runtime'
refused "unified path" '{"unified": {"../memory.max": "1"}}' \
  '/linux/resources/unified/..~1memory.max: not a file name'

# --- nothing left --------------------------------------------------------------------------------
scope_gone

finish
