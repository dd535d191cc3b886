#!/bin/sh
# Grade an exercise's solution/ and starter/ inside the pure cgroup v2 guest.
#
#   grade-in-vm.sh [--ablate NAME=SED]... BOXLAB_BIN EXERCISE_DIR SCRIPT [EXTRA_FILE[:NAME]...]
#
# The guest has no compiler (a toolchain in the initramfs would be ~130 MB, and g++ under tcg
# takes minutes), so each submission's mybox is built here, on the host, by the exercise's own
# build command (exercise.json "build") with `-static` added (the guest has boxlab's libraries
# only), in a copy of the submission. The guest gets:
#   /test/NN-slug/              the exercise folder (exercise.json, checks/, hidden/, ...)
#   /test/sub/solution/         solution/'s files and the mybox built from them
#   /test/sub/starter/          starter/'s files and the mybox built from them
#   /test/sub/NAME/             per --ablate: solution/ with the sed script SED applied to its
#                               mybox.cpp (which it must change), built the same way: the
#                               solution with one step left out, for a check to catch
# and SCRIPT grades them with `boxlab grade ... --build-command 'test -x mybox'`, which each
# record names. Exit status: run-in-vm.sh's (77: skipped, no qemu or kernel, or no g++ here).
set -u

die() { echo "grade-in-vm: $*" >&2; exit 1; }
ablations=
while [ "${1:-}" = --ablate ]; do
  case ${2:-} in [a-z]*=?*) ;; *) die "--ablate wants NAME=SED, not '${2:-}'" ;; esac
  case ${2%%=*} in solution | starter | *[!a-z0-9-]*) die "--ablate: a bad name: ${2%%=*}" ;; esac
  ablations="$ablations
$2"
  shift 2
done
[ $# -ge 3 ] || die "usage: $0 BOXLAB_BIN EXERCISE_DIR SCRIPT [EXTRA_FILE[:NAME]...]"
boxlab_bin=$1
exercise=$2
script=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
[ -f "$exercise/exercise.json" ] || die "no exercise.json in $exercise"
command -v g++ >/dev/null || { echo "grade-in-vm: SKIP: no g++ on the host"; exit 77; }

# The one-line "build" of exercise.json (the exercises write it without escapes).
build=$(sed -n 's/^ *"build": *"\(.*\)",\{0,1\} *$/\1/p' "$exercise/exercise.json")
[ -n "$build" ] || die "$exercise/exercise.json: no \"build\" line"
case $build in *\\* | *\"*) die "$exercise/exercise.json: build has escapes; cannot run it here" ;; esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/boxlab-grade-vm.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
# Each submission's copy, then all built at once (g++ -static takes seconds each).
for name in solution starter; do
  [ -d "$exercise/$name" ] || die "no $name/ in $exercise"
  mkdir -p "$tmp/sub/$name"
  cp -R "$exercise/$name/." "$tmp/sub/$name/"
done
printf '%s\n' "$ablations" | while IFS= read -r ablation; do
  [ -n "$ablation" ] || continue
  name=${ablation%%=*}
  mkdir -p "$tmp/sub/$name"
  cp -R "$exercise/solution/." "$tmp/sub/$name/"
  sed -i -e "${ablation#*=}" "$tmp/sub/$name/mybox.cpp" || die "--ablate $name: sed failed"
  ! cmp -s "$exercise/solution/mybox.cpp" "$tmp/sub/$name/mybox.cpp" ||
    die "--ablate $name: the sed script changed nothing"
done || exit 1
pids=
for dir in "$tmp"/sub/*; do
  (cd "$dir" && exec sh -c "$build -static") >"$tmp/${dir##*/}.log" 2>&1 &
  pids="$pids $!"
done
failed=
for pid in $pids; do wait "$pid" || failed=1; done
for dir in "$tmp"/sub/*; do
  [ -x "$dir/mybox" ] && continue
  cat "$tmp/${dir##*/}.log" >&2
  failed=1
done
[ -z "$failed" ] || die "the exercise's build (+ -static) failed: $build"
echo "grade-in-vm: built here with '$build -static': $(cd "$tmp/sub" && echo *)"

name=$(basename "$(cd "$exercise" && pwd)")
"$here/run-in-vm.sh" "$boxlab_bin" "$script" "$exercise:$name" "$tmp/sub:sub" "$@"
