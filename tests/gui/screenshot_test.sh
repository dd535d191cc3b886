#!/usr/bin/env bash
# Runs boxlab-gui under Xvfb on lab 6 mid-run (lab06-box with a 32M limit, started and filled
# from the host shell tab, the hog typed there, its OOM kill, step 3 green), then on the
# network scene (containers on a bridge, a published port) inside a network namespace of its
# own, then on the security scene (the namespaces pane with a default and a --privileged
# container), writes PNGs to OUT, OUT/network and OUT/security and checks
# each one was written and is a picture of something (not a blank grab). Needs root (real
# containers). Usage: GUI BOXLAB OUT
set -euo pipefail
gui=$1 boxlab=$2 out=$3
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root"; exit 77; }
command -v xvfb-run >/dev/null || { echo "skip: xvfb-run missing (Debian xvfb)"; exit 77; }
root=$(mktemp -d /tmp/boxlab-gui-shot-XXXXXX)
cleanup() {
  for c in $("$boxlab" --root "$root" ps -a -q 2>/dev/null); do "$boxlab" --root "$root" rm -f "$c" >/dev/null 2>&1 || true; done
  rm -rf "$root"
}
trap cleanup EXIT
chmod 711 "$root"
"$boxlab" --root "$root" image build-base >/dev/null
rm -rf "$out" && mkdir -p "$out"
# A private settings file: the shot must not depend on (or change) the user's layout; lab
# progress and answers of our own (the hog scene passes lab 6's step 3).
export XDG_CONFIG_HOME="$root/config"
export BOXLAB_STATE_HOME="$root/state"
status=0
xvfb-run -a -s "-screen 0 1600x1000x24" "$gui" --root "$root" --boxlab "$boxlab" \
  --screenshot "$out" --scene hog --lab 06 --size 1500x940 || status=$?
[ "$status" -eq 0 ] || { echo "boxlab-gui --screenshot exited with $status"; exit 1; }
# The network scene makes a bridge and veths: only ever in a namespace of its own (Xvfb, the
# app and its engine all run in it and vanish with it).
command -v unshare >/dev/null || { echo "skip: unshare missing (util-linux)"; exit 77; }
unshare --net sh -c 'ip link set lo up && exec "$@"' sh \
  xvfb-run -a -s "-screen 0 1600x1000x24" "$gui" --root "$root" --boxlab "$boxlab" \
  --screenshot "$out/network" --scene network --lab 09 --size 1500x940 || status=$?
[ "$status" -eq 0 ] || { echo "boxlab-gui --screenshot --scene network exited with $status"; exit 1; }
xvfb-run -a -s "-screen 0 1600x1000x24" "$gui" --root "$root" --boxlab "$boxlab" \
  --screenshot "$out/security" --scene security --size 1500x940 || status=$?
[ "$status" -eq 0 ] || { echo "boxlab-gui --screenshot --scene security exited with $status"; exit 1; }
check() {
  png=$1
  [ -s "$png" ] || { echo "missing $png"; exit 1; }
  # A real picture has many colors; a blank or failed grab has one or two.
  if command -v identify >/dev/null; then
    colors=$(identify -format '%k' "$png")
    [ "$colors" -gt 8 ] || { echo "$png looks blank ($colors colors)"; exit 1; }
  fi
}
for f in main pane-console pane-processes pane-resources pane-namespaces pane-checks pane-labs \
  pane-network pane-layers; do
  check "$out/$f.png"
done
for f in main pane-network pane-layers; do check "$out/network/$f.png"; done
for f in security-default security-privileged pane-namespaces; do check "$out/security/$f.png"; done
"$boxlab" --root "$root" ps -a -q | grep -q . && { echo "containers left behind"; exit 1; }
echo "screenshots in $out"
