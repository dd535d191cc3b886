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

finish() {
  echo "SUMMARY: $_vm_passed passed, $_vm_failed failed"
  [ "$_vm_failed" = 0 ]
  exit $?
}
