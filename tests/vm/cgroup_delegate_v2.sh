#!/bin/sh
# In-guest `run --cgroup-delegate memory,pids` on pure cgroup v2 (issue 19): the container's
# cgroup D is a delegated sub-tree (cgroup-v2.rst "Delegation"). D and its cgroup.procs,
# cgroup.threads, cgroup.subtree_control belong to the container's mapped root, D's limit files
# stay root's; the container's processes live in the leaf D/init and D hands memory and pids on
# to its children. Inside (cgroup namespace rooted at D, nsdelegate): the container's root makes
# a child cgroup, limits it, moves a hog in and the hog is OOM-killed at the child's limit; it
# cannot raise D's own limits, nor get past them with a child whose limit is higher. rm leaves
# nothing.
# shellcheck source=./lib.sh
. /test/lib.sh

use_scope boxlab-deleg "+memory +pids"
NS=pid,mount,uts,ipc,net,user,cgroup

check "boxlab image build-base" need_base

# --- the flag's checks on v2 -------------------------------------------------------------------
out=$(bxs run --rm --ns pid,mount,uts,ipc,net,user --cgroup-delegate memory,pids base true 2>&1)
code=$?
expect_eq "without a cgroup namespace: refused (125)" "125" "$code"
expect_match "... naming what it needs" "needs a cgroup and a mount namespace" "$out"

# --- a delegated cgroup, seen from the host ----------------------------------------------------
check "run -d --cgroup-delegate memory,pids" bxs run -d --name deleg --ns "$NS" --memory 64M \
  --pids 32 --cgroup-delegate memory,pids base sleep 1000
D=$(bx inspect deleg | tr -d ' \n' | sed -n 's/.*"unified":"\([^"]*\)".*/\1/p')
check "the container's cgroup is a directory ($D)" [ -d "$D" ]
for f in "" /cgroup.procs /cgroup.threads /cgroup.subtree_control /init /init/cgroup.procs; do
  expect_eq "D$f handed to the mapped root" "100000" "$(stat -c %u "$D$f")"
done
for f in memory.max pids.max; do
  expect_eq "D/$f stays root's" "0" "$(stat -c %u "$D/$f")"
done
expect_eq "D hands memory and pids on" "memory pids" "$(cat "$D/cgroup.subtree_control")"
expect_eq "D itself holds no process" "" "$(cat "$D/cgroup.procs")"
check "the container's init lives in D/init" [ -n "$(cat "$D/init/cgroup.procs")" ]

# --- inside: what the container's root may and may not do -----------------------------------------
script='c=/sys/fs/cgroup
cat /proc/self/cgroup
echo 1073741824 > $c/memory.max && echo RAISED-MEMORY
echo 1000 > $c/pids.max && echo RAISED-PIDS
mkdir $c/sub && echo MADE
echo 16777216 > $c/sub/memory.max && echo 16 > $c/sub/pids.max && echo SUB-LIMITS
echo $$ > $c/sub/cgroup.procs && echo MOVED
tail /dev/zero; echo "HOG $?"
while read k v; do [ "$k" = oom_kill ] && echo "SUB-OOM-KILL $v"; done < $c/sub/memory.events
mkdir $c/big && echo 1073741824 > $c/big/memory.max && echo $$ > $c/big/cgroup.procs && echo BIG
tail /dev/zero; echo "BIG-HOG $?"
while read k v; do [ "$k" = oom ] && echo "BIG-OOM $v"; done < $c/big/memory.events
echo $$ > $c/init/cgroup.procs && rmdir $c/sub $c/big && echo REMOVED
mkdir $c/left && echo LEFT
echo "LIMITS $(cat $c/memory.max) $(cat $c/pids.max)"'
out=$(bx exec deleg sh -c "$script" 2>&1)
printf '%s\n' "$out" | sed 's/^/    > /'
expect_match "an exec lands in the leaf (its namespace root is D)" "^0::/init$" "$out"
expect_eq "D's memory.max not raised" "" "$(printf '%s\n' "$out" | grep RAISED)"
expect_match "... the write is refused (EACCES/EPERM)" \
  "memory.max: (Permission denied|Operation not permitted)" "$out"
expect_match "a child cgroup made" "^MADE$" "$out"
expect_match "its limits set" "^SUB-LIMITS$" "$out"
expect_match "the shell moved into it" "^MOVED$" "$out"
expect_match "the hog is OOM-killed (137)" "^HOG 137$" "$out"
expect_match "... at the child's limit (its memory.events)" "^SUB-OOM-KILL [1-9]" "$out"
expect_match "a child with a 1 GiB limit" "^BIG$" "$out"
expect_match "... its hog is still OOM-killed (137)" "^BIG-HOG 137$" "$out"
expect_match "... at D's 64 MiB, not its own limit (no oom event of its own)" "^BIG-OOM 0$" "$out"
expect_match "back to the leaf, the children removed" "^REMOVED$" "$out"
expect_match "a cgroup left for rm" "^LEFT$" "$out"
expect_match "D's limits unchanged inside" "^LIMITS 67108864 32$" "$out"
expect_eq "D's memory.max unchanged on the host" "67108864" "$(cat "$D/memory.max")"
check "the left cgroup is below D" [ -d "$D/left" ]

# --- rm takes D, its leaf and what the container left ------------------------------------------
check "rm -f deleg" bx rm -f deleg
check "D is gone" [ ! -e "$D" ]
expect_eq "no container state left" "" "$(bx ps -a -q)"
scope_gone

finish
