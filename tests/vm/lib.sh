# shellcheck shell=sh
# Helpers for the in-guest test scripts (busybox sh). run-in-vm.sh copies this file to
# /test/lib.sh; a test starts with `. /test/lib.sh` and ends with `finish`.
#
#   pass MSG / fail MSG          one PASS:/FAIL: line each
#   check NAME CMD...            PASS when CMD exits 0 (its output is shown on failure)
#   expect_eq NAME WANT GOT      PASS when the two strings are equal
#   expect_match NAME ERE GOT    PASS when GOT matches the extended regex
#   bx ARGS...                   boxlab --root $BX_ROOT ARGS...
#   need_base                    the store at $BX_ROOT with the base image (built once)
#   use_scope NAME [CONTROLLERS] boxlab alone in a cgroup of its own, /sys/fs/cgroup/NAME ($SCOPE),
#                                as `systemd-run --scope -p Delegate=yes` gives it; CONTROLLERS
#                                ("+memory +pids") passed on to its children; without them,
#                                every controller the root offers that can be
#   bxs ARGS...                  bx in a fresh child scope $SCOPE/s$$ (one per invocation)
#   scope_gone [WHAT]            PASS when no container cgroup (WHAT) is left under $SCOPE and
#                                every scope cgroup was empty: they are removed
#   finish                       summary line; exit 1 when anything failed, 0 otherwise

BOXLAB=${BOXLAB:-/usr/bin/boxlab}
BX_ROOT=${BX_ROOT:-/tmp/bx}
_vm_failed=0
_vm_passed=0

pass() { _vm_passed=$((_vm_passed + 1)); echo "PASS: $*"; }
fail() { _vm_failed=$((_vm_failed + 1)); echo "FAIL: $*"; }

check() {
  _name=$1
  shift
  if _out=$("$@" 2>&1); then
    pass "$_name"
  else
    fail "$_name (exit $?: $*)"
    [ -z "$_out" ] || printf '%s\n' "$_out" | sed 's/^/    | /'
  fi
}

expect_eq() {
  if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: expected '$2', got '$3'"; fi
}

expect_match() {
  if printf '%s\n' "$3" | grep -Eq -- "$2"; then pass "$1"; else fail "$1: '$3' does not match /$2/"; fi
}

bx() { "$BOXLAB" --root "$BX_ROOT" "$@"; }

need_base() {
  [ -d "$BX_ROOT" ] || mkdir -p "$BX_ROOT"
  chmod 711 "$BX_ROOT"  # user-namespace containers traverse the store as an unmapped uid
  if ! bx image inspect base >/dev/null 2>&1; then
    bx image build-base >/dev/null || { fail "boxlab image build-base"; return 1; }
  fi
}

# v2 lets a cgroup hand controllers to children only while it holds no processes itself.
use_scope() {
  SCOPE=/sys/fs/cgroup/$1
  mkdir -p "$SCOPE"
  if [ $# -ge 2 ]; then
    echo "$2" > "$SCOPE/cgroup.subtree_control"
  else
    for _c in $(cat /sys/fs/cgroup/cgroup.controllers); do
      echo "+$_c" > "$SCOPE/cgroup.subtree_control" 2>/dev/null
    done
  fi
}

# One scope per invocation: once boxlab has delegated controllers below a scope, that scope may
# hold no process again.
bxs() {
  sh -c 'mkdir -p '"$SCOPE"'/s$$ && echo $$ > '"$SCOPE"'/s$$/cgroup.procs && exec "$@"' sh "$BOXLAB" --root "$BX_ROOT" "$@"
}

# What is left is each invocation's scope and the boxlab-engine leaf it moved itself into: all
# empty, so they go (rmdir fails on a cgroup that still has processes or children).
scope_gone() {
  _left=$(find "$SCOPE" -mindepth 1 -type d -name 'boxlab-*' ! -name boxlab-engine)
  expect_eq "no ${1:-container cgroup} left under $SCOPE" "" "$_left"
  for _d in "$SCOPE"/s*/boxlab-engine "$SCOPE"/s* "$SCOPE"; do [ -d "$_d" ] && rmdir "$_d"; done
  check "every scope cgroup was empty and is gone" [ ! -d "$SCOPE" ]
}

finish() {
  echo "SUMMARY: $_vm_passed passed, $_vm_failed failed"
  [ "$_vm_failed" = 0 ]
  exit $?
}
