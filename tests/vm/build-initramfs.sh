#!/bin/bash
# Build the initramfs of the cgroup v2 test VM.
#
#   build-initramfs.sh BOXLAB_BIN OUT.cpio.gz [EXTRA_FILE[:NAME]...]
#
# The archive is a newc cpio, gzip'd for OUT.cpio.gz, zstd'd for OUT.cpio.zst, left as is
# for OUT.cpio (the kernel unpacks that one ~5 s faster under tcg). It holds:
#   /bin/busybox + its applet links       (busybox-static, also what `image build-base` reads)
#   /usr/bin/boxlab                       (the given binary, debug info stripped)
#   $BOXLAB_VM_PROGRAMS                   at their own paths, debug info stripped (see below)
#   every shared library `ldd` lists for them, at the path ldd prints, and the dynamic loader
#                                         (nothing when the binary is static)
#   /lib/modules/KVER/...                 the kernel modules the guest loads with insmod
#   /init                                 see init below
#   /test/*                               the EXTRA_FILE args (NAME, or the basename, under /test/)
# The in-guest test is /test/run: pass it as `SCRIPT:run`.
#
# Environment:
#   BOXLAB_VM_KVER     kernel version whose modules to copy (default: newest /boot/vmlinuz-* with
#                      a /lib/modules dir, the same one run-in-vm.sh boots)
#   BOXLAB_VM_MODULES  modules to include and load, dependencies added from modules.dep
#                      (default "overlay"; built-in ones are skipped)
#   BUSYBOX            static busybox (default /bin/busybox)
#   BOXLAB_VM_PROGRAMS more executables, space-separated absolute paths (e.g. "/usr/bin/crun
#                      /usr/sbin/runc"), each copied to the same path in the guest (debug info
#                      stripped) with the libraries `ldd` lists for it, as for boxlab
#
# Deterministic: same inputs, same bytes (sorted entries, uid/gid 0, mtime 0, gzip -n).
set -euo pipefail

die() { echo "build-initramfs: $*" >&2; exit 1; }

[ $# -ge 2 ] || die "usage: $0 BOXLAB_BIN OUT.cpio.gz [EXTRA_FILE[:NAME]...]"
boxlab_bin=$1
out=$2
shift 2

busybox=${BUSYBOX:-/bin/busybox}
modules=${BOXLAB_VM_MODULES:-overlay}

[ -x "$boxlab_bin" ] || die "not an executable: $boxlab_bin"
[ -x "$busybox" ] || die "no busybox at $busybox (Debian package busybox-static)"
file_out=$(LC_ALL=C file -L "$busybox" 2>/dev/null || true)
case $file_out in *dynamically*) die "$busybox is dynamically linked; need busybox-static" ;; esac
for tool in cpio gzip ldd; do
  command -v $tool >/dev/null || die "missing tool: $tool"
done

newest_kernel() {
  local v best=
  for k in /boot/vmlinuz-*; do
    [ -e "$k" ] || continue
    v=${k#/boot/vmlinuz-}
    [ -d "/lib/modules/$v" ] || continue
    best=$(printf '%s\n%s\n' "$best" "$v" | sed '/^$/d' | sort -V | tail -n 1)
  done
  printf '%s' "$best"
}
kver=${BOXLAB_VM_KVER:-$(newest_kernel)}
[ -n "$kver" ] || die "no kernel in /boot with a /lib/modules dir (Debian package linux-image-amd64)"
moddir=/lib/modules/$kver
[ -d "$moddir" ] || die "no module dir $moddir"

stage=$(mktemp -d "${TMPDIR:-/tmp}/boxlab-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run,root,test,mnt,.root}
chmod 1777 "$stage/tmp"
chmod 700 "$stage/root"

# --- busybox and its applets -----------------------------------------------------------------
cp "$busybox" "$stage/bin/busybox"
chmod 755 "$stage/bin/busybox"
# One perl process instead of a fork per applet (perl-base is Essential on Debian).
"$busybox" --list-full | perl -e '
  my $root = shift;
  while (my $a = <STDIN>) {
    chomp $a;
    next if $a eq "" || -e "$root/$a" || -l "$root/$a";
    (my $dir = "$root/$a") =~ s{/[^/]*$}{};
    system("mkdir", "-p", $dir) == 0 or die "mkdir $dir\n" unless -d $dir;
    symlink("/bin/busybox", "$root/$a") or die "symlink $a: $!\n";
  }' "$stage"

# --- boxlab, the extra programs and their shared libraries ----------------------------------
copy_lib() {  # copy the file behind path $1 to the same path in the stage
  local src=$1
  [ -e "$src" ] || die "ldd names a missing file: $src"
  [ -e "$stage$src" ] && return 0
  mkdir -p "$stage$(dirname "$src")"
  cp -L "$src" "$stage$src"
}
copy_program() {  # $1: executable on the host, $2: its path in the guest; then its libraries
  local bin=$1 dest=$stage$2 ldd_out line lib
  mkdir -p "$(dirname "$dest")"
  rm -f "$dest"  # a busybox applet link there: write the program, not through the link
  if command -v strip >/dev/null; then
    strip --strip-debug -o "$dest" "$bin"
  else
    cp -L "$bin" "$dest"
  fi
  chmod 755 "$dest"
  # A static program needs nothing more (ldd then says "not a dynamic executable" and fails).
  if ! ldd_out=$(LC_ALL=C ldd "$bin" 2>&1); then
    case $ldd_out in
      *"not a dynamic executable"* | *"statically linked"*) ldd_out= ;;
      *) die "ldd $bin: $ldd_out" ;;
    esac
  fi
  while read -r line; do
    case $line in
      *"=> not found"*) die "ldd $bin: $line" ;;
      *"=> /"*) lib=${line#*=> }; copy_lib "${lib%% (*}" ;;
      /*) copy_lib "${line%% (*}" ;;  # the dynamic loader
    esac
  done <<<"$ldd_out"
}
copy_program "$boxlab_bin" /usr/bin/boxlab
# Sorted and de-duplicated, so the archive does not depend on the order they were given in.
# shellcheck disable=SC2086 # split the list
for prog in $(printf '%s\n' ${BOXLAB_VM_PROGRAMS:-} | LC_ALL=C sort -u); do
  case $prog in /*) ;; *) die "BOXLAB_VM_PROGRAMS wants absolute paths: $prog" ;; esac
  [ -x "$prog" ] || die "BOXLAB_VM_PROGRAMS: not an executable: $prog"
  case $prog in /bin/busybox | /usr/bin/boxlab) die "BOXLAB_VM_PROGRAMS: $prog would replace busybox or boxlab" ;; esac
  if [ "$prog" -ef "$boxlab_bin" ]; then
    # boxlab under its build path too (a test program names it so): a link, not 40 MB more.
    mkdir -p "$stage$(dirname "$prog")"
    ln -sfn /usr/bin/boxlab "$stage$prog"
  else
    copy_program "$prog" "$prog"
  fi
done

# --- kernel modules ------------------------------------------------------------------------
# modules.dep: "kernel/fs/overlayfs/overlay.ko: dep1.ko dep2.ko"; deps listed so that the
# last one is loaded first. Resolve depth-first, emit in load order, once each.
: >"$stage/etc/modules.load"
declare -A seen=()
add_module() {  # $1: path relative to $moddir
  local rel=$1 deps d
  [ -n "${seen[$rel]:-}" ] && return 0
  seen[$rel]=1
  deps=$(awk -v m="$rel:" '$1 == m { $1 = ""; print; exit }' "$moddir/modules.dep")
  # shellcheck disable=SC2086 # split the list
  for d in $(printf '%s\n' $deps | tac); do add_module "$d"; done
  mkdir -p "$stage/lib/modules/$kver/$(dirname "$rel")"
  cp "$moddir/$rel" "$stage/lib/modules/$kver/$rel"
  echo "/lib/modules/$kver/$rel" >>"$stage/etc/modules.load"
}
for m in $modules; do
  m_=${m//-/_}
  if grep -qE "/(${m}|${m_})\.ko$" "$moddir/modules.builtin" 2>/dev/null; then
    continue  # built into the kernel
  fi
  rel=$(grep -oE "^[^:]*/(${m}|${m_})\.ko(\.[a-z]+)?:" "$moddir/modules.dep" | head -n 1 | tr -d :)
  [ -n "$rel" ] || die "module $m is neither built-in nor in $moddir"
  case $rel in *.ko) ;; *) die "compressed module $rel: insmod needs it uncompressed" ;; esac
  add_module "$rel"
done

# --- /etc ---------------------------------------------------------------------------------
cat >"$stage/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$stage/etc/group" <<'EOF'
root:x:0:
tty:x:5:
nogroup:x:65534:
EOF
echo boxlab-vm >"$stage/etc/hostname"
printf '127.0.0.1\tlocalhost boxlab-vm\n::1\tlocalhost\n' >"$stage/etc/hosts"
echo "$kver" >"$stage/etc/boxlab-vm-kernel"

# --- /init -------------------------------------------------------------------------------
cat >"$stage/init" <<'INIT'
#!/bin/sh
# PID 1 of the boxlab cgroup v2 test VM. Always ends with a
# "BOXLAB-VM-RESULT <code>" line and a power-off.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=${TERM:-linux}

# The initramfs root is the namespace's root mount, on which pivot_root(2) fails with
# EINVAL. Move a bind mount of it over / and chroot into that: same files, no copy, and
# containers can pivot_root. The second stage runs with BOXLAB_VM_STAGE=2.
if [ "${BOXLAB_VM_STAGE:-1}" = 1 ]; then
  if mount --bind / /.root && cd /.root && mount --move . / ; then
    BOXLAB_VM_STAGE=2 exec chroot . /init "$@"
  fi
  echo "init: could not move the root onto a bind mount; pivot_root will fail" >&2
  cd /
fi

result() {
  echo
  echo "BOXLAB-VM-RESULT $1"
  sync
  poweroff -f
  sleep 5
  echo o >/proc/sysrq-trigger  # not reached unless poweroff failed
}

mount -t proc -o nosuid,nodev,noexec proc /proc
read -r uptime _ </proc/uptime
echo "init: started, up ${uptime}s"
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
mount -t devtmpfs -o nosuid,mode=755 devtmpfs /dev
mkdir -p /dev/pts /dev/shm /dev/mqueue
mount -t devpts -o nosuid,noexec,gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs /dev/shm
mount -t mqueue mqueue /dev/mqueue 2>/dev/null
mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs /tmp
mount -t tmpfs -o nosuid,nodev,mode=755 tmpfs /run
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
# The systemd way: shared propagation on /, cgroup2 with nsdelegate + memory_recursiveprot.
mount --make-rshared /
mount -t cgroup2 -o nosuid,nodev,noexec,nsdelegate,memory_recursiveprot cgroup2 /sys/fs/cgroup \
  || mount -t cgroup2 cgroup2 /sys/fs/cgroup \
  || { echo "init: cannot mount cgroup2"; result 125; }

hostname -F /etc/hostname
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up

while read -r ko; do
  [ -n "$ko" ] || continue
  insmod "$ko" || echo "init: insmod $ko failed"
done </etc/modules.load

# Root cgroup holds no process: move to /init, then hand every controller to the children.
mkdir -p /sys/fs/cgroup/init
echo $$ >/sys/fs/cgroup/init/cgroup.procs || echo "init: cannot join /sys/fs/cgroup/init"
for c in $(cat /sys/fs/cgroup/cgroup.controllers); do
  echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control || echo "init: cannot enable controller $c"
done

cmdline=$(cat /proc/cmdline)
shell=0
case " $cmdline " in *" boxlab.shell=1 "*) shell=1 ;; esac
read -r uptime _ </proc/uptime
echo "init: $(uname -r), $(nproc) cpus, cgroup2 controllers: $(cat /sys/fs/cgroup/cgroup.subtree_control), up ${uptime}s"

cd /test
if [ -f /test/run ]; then
  echo "init: running /test/run"
  sh /test/run </dev/null
  rc=$?
  read -r uptime _ </proc/uptime
  echo "init: /test/run exited with $rc, up ${uptime}s"
else
  echo "init: no /test/run in the initramfs"
  rc=126
fi

if [ "$shell" = 1 ]; then
  echo "init: BOXLAB_VM_SHELL: shell on the console, exit it to power off"
  setsid cttyhack sh -l
fi
result "$rc"
INIT
chmod 755 "$stage/init"

# --- test files ------------------------------------------------------------------------------
for arg in "$@"; do
  src=$arg name=
  if [ ! -e "$src" ] && [[ $arg == *:* ]]; then
    src=${arg%:*}
    name=${arg##*:}
  fi
  [ -e "$src" ] || die "no such extra file: $arg"
  [ -n "$name" ] || name=$(basename "$src")
  case $name in /* | *..*) die "extra file name must stay under /test: $name" ;; esac
  mkdir -p "$stage/test/$(dirname "$name")"
  cp -rL "$src" "$stage/test/$name"
done
[ ! -f "$stage/test/run" ] || chmod 755 "$stage/test/run"

# --- archive -----------------------------------------------------------------------------
case $out in
  *.gz) compress=(gzip -n -1) ;;
  *.zst) compress=(zstd -q -3) ;;
  *.cpio) compress=(cat) ;;  # the kernel takes it as is: fastest to unpack under tcg
  *) die "OUT must end in .cpio.gz, .cpio.zst or .cpio: $out" ;;
esac
out_tmp="$out.tmp.$$"
trap 'rm -rf "$stage" "$out_tmp"' EXIT
find "$stage" -exec touch -h -d @0 {} +
(
  cd "$stage"
  find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
    cpio --quiet -o -H newc -R 0:0 --reproducible
) | "${compress[@]}" >"$out_tmp"
mv "$out_tmp" "$out"
