#!/usr/bin/env bash
# ./kit install into a root-owned temporary prefix (never /usr), then the installed app as a
# learner (uid 65534) whose password prompt is declined: pkexec (a stand-in that records what it
# was asked and exits 126, as a dismissed prompt does) is asked for exactly the installed engine,
# never a binary the learner planted, and the app still opens, without root, saying so.
# Then ./kit uninstall removes what the install wrote. Usage: install_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1 build=$2
[ "$(id -u)" -eq 0 ] || { echo "needs root"; exit 1; }
T=$(mktemp -d /tmp/boxlab-install-XXXXXX)
trap 'rm -rf "$T"' EXIT
chmod 755 "$T"
fail() { echo "FAIL: $*" >&2; exit 1; }

prefix=$T/prefix polkit=$T/polkit apparmor=$T/apparmor.d
mkdir "$apparmor"
export BOXLAB_POLKIT_DIR=$polkit BOXLAB_APPARMOR_DIR=$apparmor
BOXLAB_KIT_NO_BUILD=1 BOXLAB_BUILD_DIR=$build "$src/kit" install "$prefix"
engine=$prefix/bin/boxlab
[ "$(stat -c %u:%a "$engine")" = 0:755 ] || fail "engine is $(stat -c %u:%a "$engine"), not root's 0755"
[ -f "$prefix/share/boxlab/labs/01-process-and-chroot/lab.json" ] || fail "labs not installed"
[ -d "$prefix/etc/boxlab/labs" ] || fail "no folder for an instructor's labs"
# The labs' own programs stay executable; every installed file is root's and writable by root only.
(cd "$src/labs" && find . -type f -perm -u+x) | while read -r f; do
  [ -x "$prefix/share/boxlab/labs/$f" ] || fail "labs/$f is not executable once installed"
done
bad=$(find "$prefix" -perm /022 ! -type l | head -3)
[ -z "$bad" ] || fail "writable by others than root: $bad"
for policy in "$prefix/share/polkit-1/actions/org.boxlab.engine.policy" "$polkit/org.boxlab.engine.policy"; do
  grep -q "<annotate key=\"org.freedesktop.policykit.exec.path\">$engine</annotate>" "$policy" ||
    fail "$policy does not name $engine as exec.path"
  if command -v xmllint >/dev/null; then xmllint --noout "$policy"; fi
done
"$engine" --version >/dev/null || fail "the installed engine does not run"

# What polkit itself makes of the installed action: pkaction asks a real polkitd, on a private
# system bus, in a mount namespace of this test's own where polkit's actions folder is the one
# the install wrote (the machine's /usr/share/polkit-1 and its bus are not touched).
for need in /usr/lib/polkit-1/polkitd /usr/bin/pkaction /usr/bin/dbus-daemon; do
  [ -x "$need" ] || fail "$need missing (Debian packages polkitd, dbus-daemon: ./kit installs them)"
done
cat >"$T/bus.conf" <<EOS
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$T/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/> <allow own="*"/> <allow send_destination="*"/> <allow receive_sender="*"/>
  </policy>
</busconfig>
EOS
pk=$(unshare --mount --propagation private sh -c '
  mount --bind "$1" /usr/share/polkit-1/actions || exit 90
  dbus-daemon --config-file="$2/bus.conf" --nofork 2>/dev/null & bus=$!
  i=0; until [ -S "$2/bus" ] || [ $i -ge 500 ]; do sleep 0.01; i=$((i+1)); done
  export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$2/bus
  /usr/lib/polkit-1/polkitd --no-debug 2>/dev/null & polkitd=$!
  i=0  # until polkitd owns its name on the bus
  until out=$(pkaction --verbose --action-id org.boxlab.engine 2>&1) || [ $i -ge 1000 ]; do
    sleep 0.02; i=$((i+1)); done
  echo "$out"
  kill $polkitd $bus; wait' sh "$polkit" "$T")
echo "$pk"
grep -q "org.freedesktop.policykit.exec.path -> $engine\$" <<<"$pk" ||
  fail "pkaction --verbose does not show $engine as the action's exec path"
grep -q "implicit active: *auth_admin_keep" <<<"$pk" || fail "the action does not ask for an admin"
# An instructor's own lab in PREFIX/etc/boxlab/labs shows beside the course's.
mine=$prefix/etc/boxlab/labs/13-pid-again
cp -r "$src/labs/02-pid-namespace" "$mine"
sed -i 's/"id": "02-pid-namespace"/"id": "13-pid-again"/; s/lab02-/lab13-/g' "$mine/lab.json"
listed=$(BOXLAB_STATE_HOME=$T/state "$engine" lab ls 2>&1)
grep -q "^13   PID namespace" <<<"$listed" || fail "the instructor's lab 13 is not listed: $listed"
rm -rf "$mine"
grep -q "^profile boxlab $engine flags=(unconfined) {" "$apparmor/boxlab" ||
  fail "the AppArmor profile does not name $engine"
grep -q "^  userns,$" "$apparmor/boxlab" || fail "the AppArmor profile does not allow userns"

# The learner's session: a stand-in pkexec first on PATH, a runtime dir of their own.
mkdir -p "$T/fakebin" "$T/home"
cat >"$T/fakebin/pkexec" <<EOS
#!/bin/sh
echo "\$*" >>"$T/asked"
exit 126
EOS
chmod 755 "$T/fakebin/pkexec"
: >"$T/asked" && chmod 666 "$T/asked"
chown 65534:65534 "$T/home" && chmod 700 "$T/home"
# A boxlab the learner planted in their own folder: it must never be what pkexec is asked for.
cp "$build/core/boxlab" "$T/home/boxlab" && chown 65534:65534 "$T/home/boxlab"
as_learner() {
  setpriv --reuid 65534 --regid 65534 --clear-groups \
    env -i PATH="$T/fakebin:/usr/bin:/bin" HOME="$T/home" XDG_RUNTIME_DIR="$T/home" \
    DISPLAY=:99 QT_QPA_PLATFORM=offscreen "$@"
}
out=$(as_learner timeout 60 "$prefix/bin/boxlab-gui" --print-engine) || fail "the app did not open: $out"
echo "$out"
grep -qx "engine: boxlab serve without root" <<<"$out" || fail "the app is not running rootless"
grep -q "password prompt was declined" <<<"$out" || fail "the banner does not say why"
grep -qx "$engine serve" "$T/asked" || fail "pkexec was not asked for $engine: $(cat "$T/asked")"

: >"$T/asked"
out=$(as_learner timeout 60 "$prefix/bin/boxlab-gui" --boxlab "$T/home/boxlab" --print-engine) ||
  fail "the app did not open with a planted engine: $out"
echo "$out"
grep -q "installed engine" <<<"$out" || true
if grep -q "$T/home/boxlab" "$T/asked"; then fail "pkexec was asked to run the planted $T/home/boxlab"; fi
grep -qx "$engine serve" "$T/asked" || fail "pkexec was not asked for the installed engine instead"

"$src/kit" uninstall "$prefix"
left=$(find "$prefix" "$polkit" "$apparmor" -type f 2>/dev/null || true)
[ -z "$left" ] || fail "uninstall left: $left"
echo "install, app as a learner, uninstall: ok"
