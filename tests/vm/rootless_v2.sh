#!/bin/sh
# In-guest rootless limits (issue 16) on pure cgroup v2: a user with no root at all, whose
# cgroup subtree was delegated to them the way systemd's Delegate=yes does it, runs containers
# with --memory and --pids. The limits are enforced (the hog is OOM-killed, forks stop at
# pids.max), the container's cgroup is made below the user's subtree, and `rm` leaves none.
# A user in a cgroup that was not delegated gets one clear error and nothing is left behind.
# With /etc/subuid ranges (newuidmap), the same holds and 65535 more ids are mapped.
# shellcheck source=./lib.sh
. /test/lib.sh

U=65534  # nobody: no capability, no write access anywhere but what this script hands over
USER_CG=/sys/fs/cgroup/user-$U
NODELEG_CG=/sys/fs/cgroup/not-delegated
UROOT=/tmp/bxu

# --- what login + systemd give a user: a subtree of their own -------------------------------------
# Delegate=yes chowns the directory and the files that move processes and hand controllers
# on, never the parent's limits on it (memory.max of USER_CG stays root's).
mkdir -p "$USER_CG/session" "$NODELEG_CG" "$UROOT/home" "$UROOT/store"
chown "$U:$U" "$USER_CG" "$USER_CG/cgroup.procs" "$USER_CG/cgroup.threads" \
  "$USER_CG/cgroup.subtree_control"
chown -R "$U:$U" "$USER_CG/session" "$UROOT"
chmod 700 "$UROOT/home"

# as-user CGROUP ARGS...: as root, put a shell in CGROUP (what a login does), drop to the user,
# then (as them) make a scope of their own beside it, as `systemd-run --user --scope` does, and
# run boxlab there with the user's own store.
cat >/tmp/as-user <<EOF
#!/bin/sh
cg=\$1; shift
echo \$\$ > "\$cg/cgroup.procs" || exit 120
exec /usr/bin/setpriv --reuid=$U --regid=$U --clear-groups /tmp/user-scope "\$cg" "\$@"
EOF
cat >/tmp/user-scope <<EOF
#!/bin/sh
cg=\$1; shift
if [ -w "\$cg/../cgroup.subtree_control" ]; then
  scope=\$cg/../s\$\$
  mkdir "\$scope" && echo \$\$ > "\$scope/cgroup.procs" || exit 121
fi
exec env -i PATH=/usr/bin:/bin HOME=$UROOT/home XDG_RUNTIME_DIR=$UROOT/home \
  $BOXLAB --root $UROOT/store "\$@"
EOF
chmod 755 /tmp/as-user /tmp/user-scope
ux() { /tmp/as-user "$USER_CG/session" "$@"; }

check "setpriv is in the guest (util-linux)" command -v setpriv
expect_eq "the user is not root" "$U" "$(/usr/bin/setpriv --reuid=$U --regid=$U --clear-groups id -u)"
# The user hands the controllers on in their own subtree (its root holds no process: the
# session and the scopes do).
check "the user enables memory, pids and cpu in their subtree" \
  /usr/bin/setpriv --reuid=$U --regid=$U --clear-groups sh -c "echo '+memory +pids +cpu' > $USER_CG/cgroup.subtree_control"

check "boxlab image build-base, as the user" ux image build-base

# --- memory: a hog is OOM-killed at the limit and boxlab says so --------------------------------
out=$(ux run --rm --memory 32M base -- sh -c 'x=$(head -c 100000000 /dev/zero | tr "\0" a); echo survived' 2>&1)
code=$?
expect_eq "rootless memory hog under --memory 32M exits 137" "137" "$code"
expect_match "boxlab reports the OOM kill" "OOM killer" "$out"
expect_eq "the hog did not survive" "" "$(printf '%s\n' "$out" | grep survived)"

# --- pids: forks stop at pids.max ----------------------------------------------------------------
got=$(ux run --rm --pids 20 base -- sh -c '
  ( i=0; while [ $i -lt 60 ]; do sleep 100 & i=$((i+1)); done ) 2>/dev/null
  read c < /sys/fs/cgroup/pids.current
  read m < /sys/fs/cgroup/pids.max
  echo "$c $m"' 2>&1)
set -- $got
check "rootless pids.current stays at or below 20 (got '$got')" [ "${1:-99}" -le 20 ]
expect_eq "pids.max inside the container" "20" "${2:-}"

# --- where the cgroup is: below the user's subtree, and gone after rm ----------------------------
check "run -d --memory 48M sleeper, as the user" ux run -d --name sleeper --memory 48M base -- sleep 1000
pid=$(ux inspect sleeper | sed -n 's/^  "pid": *\([0-9]*\).*/\1/p')
check "the sleeper has a host pid ($pid)" [ -n "$pid" ]
cg=$(sed -n 's/^0:://p' "/proc/$pid/cgroup" 2>/dev/null)
expect_match "its cgroup is below the user's subtree" "^/user-$U/" "$cg"
expect_eq "memory.max there is 48M" "50331648" "$(cat "/sys/fs/cgroup$cg/memory.max" 2>&1)"
expect_eq "the user owns the container's cgroup" "$U" "$(stat -c %u "/sys/fs/cgroup$cg")"
check "rm -f sleeper, as the user" ux rm -f sleeper
check "its cgroup is gone" [ ! -e "/sys/fs/cgroup$cg" ]
left=$(find "$USER_CG" -mindepth 1 -type d -name 'boxlab-*' ! -name boxlab-engine 2>/dev/null)
expect_eq "no container cgroup left in the user's subtree" "" "$left"
expect_eq "no container left" "" "$(ux ps -a -q 2>&1)"

# --- no delegation: one clear error, nothing left -------------------------------------------------
before=$(find /sys/fs/cgroup -type d | sort | md5sum)
out=$(/tmp/as-user "$NODELEG_CG" run --rm --name nodeleg --memory 32M base -- true 2>&1)
code=$?
check "limits in a cgroup that is not the user's fail (exit $code)" [ "$code" -ne 0 ]
expect_match "the error says a delegated cgroup is needed" "delegated" "$out"
expect_eq "no cgroup made" "$before" "$(find /sys/fs/cgroup -type d | sort | md5sum)"
expect_eq "no container state left" "" "$(ux ps -a -q 2>&1)"
expect_eq "without limits the same user still runs" "ok" \
  "$(/tmp/as-user "$NODELEG_CG" run --rm base -- echo ok 2>&1)"

# --- /etc/subuid ranges: 65535 more ids through newuidmap, limits still enforced ---------------
# The guest's own /etc (the initramfs'); newuidmap/newgidmap come setuid root as in Debian's uidmap.
chmod 4755 /usr/bin/newuidmap /usr/bin/newgidmap
echo "nobody:200000:65536" >/etc/subuid
cp /etc/subuid /etc/subgid
got=$(ux run --rm --memory 48M base -- sh -c \
  'cat /proc/self/uid_map; touch /tmp/f && chown 1000:1000 /tmp/f && stat -c "owner %u" /tmp/f;
   echo "max $(cat /sys/fs/cgroup/memory.max)"' 2>&1)
expect_match "subuid: container root is the user" "^ *0 +$U +1$" "$got"
expect_match "subuid: 65535 more ids from /etc/subuid" "^ *1 +200000 +65535$" "$got"
expect_match "subuid: chown to uid 1000 works inside" "^owner 1000$" "$got"
expect_match "subuid: the memory limit holds too" "^max 50331648$" "$got"
rm -f /etc/subuid /etc/subgid

finish
