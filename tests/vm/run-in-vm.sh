#!/bin/bash
# Boot Debian's kernel under qemu with a pure cgroup v2 hierarchy and run one test script in it.
#
#   run-in-vm.sh BOXLAB_BIN SCRIPT [EXTRA_FILE[:NAME]...]
#
# SCRIPT becomes /test/run in the guest, tests/vm/lib.sh becomes /test/lib.sh, each
# EXTRA_FILE goes under /test/ (as NAME when given). The guest console streams to stdout.
# Exit status: the script's, read from the guest's "BOXLAB-VM-RESULT <code>" line; 1 when
# that line is missing (boot failure, panic, timeout); 77 when qemu or a kernel is missing.
#
# Environment:
#   BOXLAB_VM_TIMEOUT  seconds before the VM is killed (default 240)
#   BOXLAB_VM_SHELL=1  after the test, a shell on the console (no timeout; exit it to power off)
#   BOXLAB_VM_KEEP=DIR keep the initramfs and the console log in DIR
#   BOXLAB_VM_COMPRESS none (default: fastest here), gzip or zstd for the initramfs
#   BOXLAB_VM_PVH=0    boot the bzImage instead of the unpacked vmlinux (adds ~10 s on tcg)
#   BOXLAB_VM_ACCEL    kvm or tcg (default: kvm when /dev/kvm is usable, tcg otherwise)
#   BOXLAB_VM_APPEND   extra kernel command line
#   BOXLAB_VM_MEM, BOXLAB_VM_CPUS  guest size (default 1024 MiB, 2)
#   BOXLAB_VM_KVER, BOXLAB_VM_MODULES  see build-initramfs.sh
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
skip() { echo "run-in-vm: SKIP: $*"; exit 77; }
die() { echo "run-in-vm: $*" >&2; exit 1; }

[ $# -ge 2 ] || die "usage: $0 BOXLAB_BIN SCRIPT [EXTRA_FILE[:NAME]...]"
boxlab_bin=$1
script=$2
shift 2
[ -x "$boxlab_bin" ] || die "not an executable: $boxlab_bin"
[ -f "$script" ] || die "no such script: $script"

qemu=$(command -v qemu-system-x86_64) || skip "qemu-system-x86_64 not installed (Debian package qemu-system-x86)"
[ -x /bin/busybox ] || skip "no /bin/busybox (Debian package busybox-static)"
command -v cpio >/dev/null || skip "cpio not installed"

# Newest /boot/vmlinuz-* that has its modules dir.
kver=${BOXLAB_VM_KVER:-}
if [ -z "$kver" ]; then
  for k in /boot/vmlinuz-*; do
    [ -e "$k" ] || continue
    v=${k#/boot/vmlinuz-}
    [ -d "/lib/modules/$v" ] || continue
    kver=$(printf '%s\n%s\n' "$kver" "$v" | sed '/^$/d' | sort -V | tail -n 1)
  done
fi
[ -n "$kver" ] || skip "no kernel in /boot with a /lib/modules dir (Debian package linux-image-amd64)"
kernel=/boot/vmlinuz-$kver
[ -r "$kernel" ] || skip "cannot read $kernel"
export BOXLAB_VM_KVER=$kver

accel=${BOXLAB_VM_ACCEL:-}
if [ -z "$accel" ]; then
  accel=tcg
  # KVM needs the node and VT-x/AMD-V under it. A /dev/kvm without vmx/svm in the CPU flags
  # is some other kind of nesting (e.g. PVM, which only runs PVM-built guest kernels): the
  # Debian kernel hangs on it, so tcg. When kvm fails to start, qemu tries the next -accel.
  if [ -r /dev/kvm ] && [ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; then accel=kvm; fi
fi
case $accel in
  kvm) accel_args=(-accel kvm -accel tcg) ;;
  tcg) accel_args=(-accel tcg) ;;
  *) die "BOXLAB_VM_ACCEL must be kvm or tcg, not $accel" ;;
esac

case ${BOXLAB_VM_COMPRESS:-none} in
  none) initramfs=initramfs.cpio ;;
  gzip) initramfs=initramfs.cpio.gz ;;
  zstd) initramfs=initramfs.cpio.zst ;;
  *) die "BOXLAB_VM_COMPRESS must be none, gzip or zstd" ;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/boxlab-vm.XXXXXX") || die "mktemp failed"
qemu_pid="" tail_pid="" pvh_pid=""
cleanup() {
  [ -n "$pvh_pid" ] && { pkill -P "$pvh_pid" 2>/dev/null; kill "$pvh_pid" 2>/dev/null; wait "$pvh_pid" 2>/dev/null; }
  # qemu_pid is timeout(1), which passes SIGTERM on to qemu; qemu exits on it at once.
  if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
    kill "$qemu_pid" 2>/dev/null
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      kill -0 "$qemu_pid" 2>/dev/null || break
      sleep 0.5
    done
    if kill -0 "$qemu_pid" 2>/dev/null; then
      pkill -KILL -P "$qemu_pid" 2>/dev/null
      kill -KILL "$qemu_pid" 2>/dev/null
    fi
    wait "$qemu_pid" 2>/dev/null
  fi
  [ -n "$tail_pid" ] && kill "$tail_pid" 2>/dev/null
  if [ -n "${BOXLAB_VM_KEEP:-}" ]; then
    mkdir -p "$BOXLAB_VM_KEEP" && cp -f "$tmp/$initramfs" "$tmp"/console.log "$BOXLAB_VM_KEEP"/ 2>/dev/null &&
      echo "run-in-vm: kept $initramfs and console.log in $BOXLAB_VM_KEEP"
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

start=$(date +%s.%N)
# A bzImage decompresses itself in the guest: ~10 s of xz under tcg. When the kernel has
# CONFIG_PVH, qemu boots the uncompressed ELF vmlinux directly; unpack it here (~1.5 s, in
# parallel with the initramfs).
extract_vmlinux() {  # $1: magic (grep -P), $2: decompressor; output checked to be ELF
  local off
  off=$(LC_ALL=C grep -obUaP -m 1 "$1" "$kernel" 2>/dev/null | head -n 1 | cut -d: -f1)
  [ -n "$off" ] || return 1
  tail -c +$((off + 1)) "$kernel" | $2 >"$tmp/vmlinux" 2>/dev/null
  [ "$(head -c 4 "$tmp/vmlinux" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]
}
pvh_pid=
if [ "${BOXLAB_VM_PVH:-1}" = 1 ] && grep -qs '^CONFIG_PVH=y' "/boot/config-$kver"; then
  (
    { command -v xz >/dev/null && extract_vmlinux '\xfd7zXZ\x00' 'xz -dcq'; } ||
      { command -v zstd >/dev/null && extract_vmlinux '\x28\xb5\x2f\xfd' 'zstd -dcq'; } ||
      extract_vmlinux '\x1f\x8b\x08' 'gzip -dcq' || rm -f "$tmp/vmlinux"
  ) &
  pvh_pid=$!
fi

extras=("$script:run")
[ -f "$here/lib.sh" ] && extras+=("$here/lib.sh:lib.sh")
"$here/build-initramfs.sh" "$boxlab_bin" "$tmp/$initramfs" "${extras[@]}" "$@" ||
  die "building the initramfs failed"
boot_kernel=$kernel
if [ -n "$pvh_pid" ]; then
  wait "$pvh_pid"
  pvh_pid=
  [ -s "$tmp/vmlinux" ] && boot_kernel=$tmp/vmlinux
fi
built=$(date +%s.%N)

append="console=ttyS0 quiet panic=-1 oops=panic cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1"
append+=" mitigations=off tsc=reliable cryptomgr.notests"
[ "${BOXLAB_VM_SHELL:-0}" = 1 ] && append+=" boxlab.shell=1"
[ -n "${BOXLAB_VM_APPEND:-}" ] && append+=" $BOXLAB_VM_APPEND"

qemu_args=(
  "${accel_args[@]}" -cpu max
  -m "${BOXLAB_VM_MEM:-1024}" -smp "${BOXLAB_VM_CPUS:-2}"
  -nographic -nodefaults -no-user-config -serial mon:stdio -nic none -no-reboot
  -kernel "$boot_kernel" -initrd "$tmp/$initramfs" -append "$append"
)
echo "run-in-vm: kernel $kver ($([ "$boot_kernel" = "$kernel" ] && echo bzImage || echo "vmlinux, PVH boot")), accel $accel"
echo "run-in-vm: append: $append"

if [ "${BOXLAB_VM_SHELL:-0}" = 1 ]; then
  "$qemu" "${qemu_args[@]}" 2>&1 | tee "$tmp/console.log"
else
  timeout_s=${BOXLAB_VM_TIMEOUT:-240}
  # qemu in the background (stdin /dev/null: the guest gets no keystrokes, the terminal is
  # left alone) so that the traps can end it; its console goes to the log and to stdout.
  # qemu and the console reader run in the background and the script waits for them, so that
  # a signal (ctest, Ctrl-C) runs the traps at once and the cleanup ends qemu. stdin is
  # /dev/null: the guest gets no keystrokes and the terminal is left alone.
  : >"$tmp/console.log"
  timeout -k 5 "$timeout_s" "$qemu" "${qemu_args[@]}" </dev/null >"$tmp/console.log" 2>&1 &
  qemu_pid=$!
  tail -s 0.2 -n +1 -f --pid="$qemu_pid" "$tmp/console.log" 2>/dev/null | sed -u 's/\r$//' &
  tail_pid=$!
  wait "$qemu_pid"
  qemu_rc=$?
  qemu_pid=
  wait "$tail_pid"
  tail_pid=
  [ $qemu_rc = 124 ] && echo "run-in-vm: TIMEOUT: VM killed after ${timeout_s}s"
fi
end=$(date +%s.%N)

rc=$(tr -d '\r' <"$tmp/console.log" | sed -n 's/^BOXLAB-VM-RESULT \([0-9][0-9]*\)$/\1/p' | tail -n 1)
awk -v s="$start" -v b="$built" -v e="$end" \
  'BEGIN { printf "run-in-vm: initramfs %.1fs, vm %.1fs, total %.1fs\n", b - s, e - b, e - s }'
if [ -z "$rc" ]; then
  echo "run-in-vm: FAIL: no BOXLAB-VM-RESULT line (boot failure, kernel panic or timeout)"
  exit 1
fi
echo "run-in-vm: guest test exited with $rc"
exit "$rc"
