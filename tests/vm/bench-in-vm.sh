#!/bin/bash
# The container start bench (tests/bench/container_start.cpp: boxlab `oci run` against crun and
# runc, interleaved, four variants) inside the pure cgroup v2 guest, where no v1 cgroup exists.
#
#   bench-in-vm.sh BOXLAB_BIN BENCH_BIN [--runs N] [--json FILE]
#
# BENCH_BIN is build/tests/bench_container_start. It, crun and runc go into the initramfs at
# their own paths with their libraries (BOXLAB_VM_PROGRAMS), and so does BOXLAB_BIN under its
# build path, which the bench has compiled in. The guest runs tests/vm/start_bench.sh.
# The guest is emulated (tcg): each start costs 20-50x the host's, so only the ratios to crun
# mean anything. --runs (default 15) per runtime and variant; 0.3-1 s per start here (runc 2-4 s),
# so the default takes ~4-6 min. --json FILE: the bench's JSON report, copied out of the guest.
# Exit status: the bench's (1 when a runtime failed to start a container; timing never fails
# it), 1 when the VM failed, 77 when qemu, a kernel, crun or runc is missing.
# Environment: as run-in-vm.sh; BOXLAB_VM_TIMEOUT defaults to what --runs needs.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { echo "bench-in-vm: $*" >&2; exit 1; }
skip() { echo "bench-in-vm: SKIP: $*"; exit 77; }

[ $# -ge 2 ] || die "usage: $0 BOXLAB_BIN BENCH_BIN [--runs N] [--json FILE]"
boxlab_bin=$(realpath "$1") || die "no such file: $1"
bench_bin=$(realpath "$2") || die "no such file: $2"
shift 2
runs=15 json_out=
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=${2:?--runs needs a value}; shift 2 ;;
    --json) json_out=${2:?--json needs a value}; shift 2 ;;
    *) die "unknown argument $1 (--runs N, --json FILE)" ;;
  esac
done
case $runs in '' | *[!0-9]*) die "--runs wants a number: $runs" ;; esac
[ -x "$boxlab_bin" ] || die "not an executable: $boxlab_bin"
[ -x "$bench_bin" ] || die "not an executable: $bench_bin"
crun=$(command -v crun) || skip "crun not installed (Debian package crun)"
runc=$(command -v runc) || skip "runc not installed (Debian package runc)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/boxlab-vmbench.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
commit=$(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$here" diff --quiet HEAD 2>/dev/null || commit="$commit+changes"
cat >"$tmp/bench.env" <<ENV
BENCH_BIN='$bench_bin'
BENCH_RUNS=$runs
BENCH_COMMIT='$commit'
ENV

export BOXLAB_VM_PROGRAMS="$bench_bin $boxlab_bin $crun $runc"
# Boot and build-base ~60 s, then 4 variants x 3 runtimes x runs starts of ~3 s, doubled.
export BOXLAB_VM_TIMEOUT=${BOXLAB_VM_TIMEOUT:-$((120 + runs * 4 * 3 * 6))}
export BOXLAB_VM_MEM=${BOXLAB_VM_MEM:-1536}
"$here/run-in-vm.sh" "$boxlab_bin" "$here/start_bench.sh" "$tmp/bench.env:bench.env" |
  tee "$tmp/console.txt"
rc=${PIPESTATUS[0]}
if [ -n "$json_out" ]; then
  sed -n '/^BENCH-JSON-BEGIN$/,/^BENCH-JSON-END$/p' "$tmp/console.txt" | sed '1d;$d' >"$tmp/report.json"
  if [ -s "$tmp/report.json" ]; then
    mkdir -p "$(dirname "$json_out")" && cp "$tmp/report.json" "$json_out" &&
      echo "bench-in-vm: written: $json_out"
  else
    echo "bench-in-vm: no JSON report came out of the guest"
  fi
fi
exit "$rc"
