#!/bin/sh
# In-guest smoke test: the guest is pure cgroup v2, and boxlab runs containers in it,
# with and without a user namespace (overlay mounted inside the user namespace).
# shellcheck source=./lib.sh
. /test/lib.sh

# --- the guest is what learners run: one cgroup2 hierarchy, no v1 -------------------------------
controllers=$(cat /sys/fs/cgroup/cgroup.controllers 2>/dev/null)
for c in memory pids cpu; do
  expect_match "cgroup2 root offers the $c controller" "(^| )$c( |$)" "$controllers"
done
self_cgroup=$(cat /proc/self/cgroup)
expect_eq "/proc/self/cgroup has a single line" "1" "$(printf '%s\n' "$self_cgroup" | wc -l)"
expect_match "/proc/self/cgroup is 0::/..." '^0::/' "$self_cgroup"
expect_eq "no cgroup v1 hierarchy mounted" "" "$(awk '$3 == "cgroup"' /proc/mounts)"
expect_eq "/sys/fs/cgroup is cgroup2" "cgroup2" "$(awk '$2 == "/sys/fs/cgroup" { print $3 }' /proc/mounts)"
subtree=$(cat /sys/fs/cgroup/cgroup.subtree_control)
for c in memory pids cpu; do
  expect_match "$c enabled for the root's children" "(^| )$c( |$)" "$subtree"
done
# Kernel threads stay in the root cgroup; they have an empty cmdline.
user_procs=
for pid in $(cat /sys/fs/cgroup/cgroup.procs); do
  [ -s "/proc/$pid/cmdline" ] && user_procs="$user_procs $pid"
done
expect_eq "root cgroup holds no user process" "" "$user_procs"

# --- boxlab ------------------------------------------------------------------------------------
check "boxlab image build-base" need_base

got=$(bx run --rm base -- sh -c 'echo $$' 2>&1)
expect_eq "run --rm base: the command is pid 1" "1" "$got"

got=$(bx run --rm --ns user base -- id -u 2>&1)
expect_eq "run --rm --ns user base: id -u is 0" "0" "$got"
got=$(bx run --rm --ns user base -- cat /proc/self/uid_map 2>&1)
expect_match "run --ns user: root is mapped from an unprivileged host uid" '^ *0 +[1-9][0-9]* +[0-9]+$' \
  "$(printf '%s\n' "$got" | head -n 1)"
got=$(bx run --rm --ns user base -- \
  sed -n 's|^[^ ]* [^ ]* [^ ]* / / .* - \([^ ]*\) .*|\1|p' /proc/self/mountinfo 2>&1)
expect_eq "run --ns user: the root is an overlay" "overlay" "$got"

expect_eq "no container left" "" "$(bx ps -a -q 2>&1)"

finish
