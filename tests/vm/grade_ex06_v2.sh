#!/bin/sh
# In-guest: exercise 06 (cgroups: memory, pids) graded on pure cgroup v2 (issue 19). The grader
# hands each grading container a delegated cgroup (`--cgroup-delegate memory,pids`, a cgroup
# namespace rooted at it); mybox sees /sys/fs/cgroup as cgroup2, makes its child's cgroup beside
# its own leaf, writes memory.max and pids.max there and removes it at the end. The solution
# earns full marks, every check read from v2's files; the starter fails this stage's checks and
# keeps the earlier stages' marks. keeps-cgroups, the solution without its rmdir, fails only
# cgroups-removed: v2's form of that check sees what is left. All three were built on the host
# by grade-in-vm.sh (the guest has no compiler): the grade runs with
# `--build-command 'test -x mybox'`, which each record says.
# shellcheck source=./lib.sh
. /test/lib.sh

EX=/test/06-cgroups
REC=/tmp/records
# The grading containers' cgroups are made below boxlab's scope (the grader gives --cpus too).
use_scope boxlab-grade "+cpu +memory +pids"

# "STATUS|OBSERVED" of check ID in record FILE (dump(2): a check's keys 6 spaces in, sorted).
check_of() {
  awk -v want="$2" '
    function val(line) { sub(/^ *"[a-z_]*": "?/, "", line); sub(/"?,?$/, "", line); return line }
    /^      "id": / { id = val($0) }
    /^      "observed": / { obs = val($0) }
    /^      "status": / { st = val($0) }
    /^    }/ { if (id == want) print st "|" obs; id = "" }' "$1"
}
# A top-level field of record FILE ("status", "score", "max_score").
field_of() { sed -n 's/^  "'"$2"'": "\{0,1\}\([^",]*\)"\{0,1\},\{0,1\}$/\1/p' "$1"; }
# Every check id of record FILE, in order.
ids_of() { sed -n 's/^      "id": "\(.*\)",$/\1/p' "$1" | tr '\n' ' '; }

check "boxlab image build-base" need_base
check "the exercise's checks are in the guest" [ -f "$EX/hidden/checks.json" ]
for s in solution starter keeps-cgroups; do
  check "$s: its mybox, built on the host (no compiler here)" [ -x "/test/sub/$s/mybox" ]
done
check "the guest has no compiler" sh -c '! command -v g++ && ! command -v cc'

bxs grade "$EX" /test/sub/solution /test/sub/starter /test/sub/keeps-cgroups --jobs 2 \
  --build-command 'test -x mybox' --records "$REC" --out /tmp/report.txt
code=$?
sed 's/^/    > /' /tmp/report.txt
expect_eq "grade exits 1 (the starter did not pass)" "1" "$code"

sol=$REC/solution.06-cgroups.json
sta=$REC/starter.06-cgroups.json
check "a record for the solution" [ -f "$sol" ]
check "a record for the starter" [ -f "$sta" ]
all="memory-limit pids-limit hog-killed pids-enforced only-asked-limits cgroups-removed still-own-user-ns still-pid1 "
expect_eq "the solution's checks: one per id, v2's variants" "$all" "$(ids_of "$sol")"
expect_eq "the starter's checks: the same" "$all" "$(ids_of "$sta")"

# --- the solution: full marks, read from v2's files -------------------------------------------
expect_eq "solution: status pass" "pass" "$(field_of "$sol" status)"
max=$(field_of "$sol" max_score)
expect_eq "solution: full marks" "$max" "$(field_of "$sol" score)"
expect_match "... out of 12 (the same maximum as on v1)" "^12$" "$max"
expect_match "solution: the record says the build was replaced" \
  "replaced by --build-command: test -x mybox" "$(grep '"output"' "$sol")"
for id in $all; do
  expect_match "solution: $id passes" "^pass\|" "$(check_of "$sol" "$id")"
done
expect_eq "solution: the box's own memory.max" "pass|memory.max is 67108864" \
  "$(check_of "$sol" memory-limit)"
expect_eq "solution: the box's own pids.max" "pass|pids.max is 20" "$(check_of "$sol" pids-limit)"
expect_match "solution: the hog's OOM kill counted in memory.events" \
  "^pass\|memory.events' oom_kill is [1-9]" "$(check_of "$sol" hog-killed)"
expect_match "solution: refused forks counted in pids.events" \
  "^pass\|pids.events' max is [1-9]" "$(check_of "$sol" pids-enforced)"
expect_eq "solution: without --memory, memory.max stays max (v2's form)" "pass|memory.max is max" \
  "$(check_of "$sol" only-asked-limits)"

# --- the starter: this stage's checks fail, the earlier stages' pass ----------------------------
expect_eq "starter: status fail" "fail" "$(field_of "$sta" status)"
expect_match "starter: the build (test -x) passed" '"status": "pass"' "$(grep -A1 '"output"' "$sta")"
for id in memory-limit pids-limit hog-killed pids-enforced only-asked-limits cgroups-removed; do
  expect_match "starter: $id fails" "^fail\|" "$(check_of "$sta" "$id")"
done
expect_match "starter: its box is in no memory cgroup of its own" \
  "no memory cgroup of its own" "$(check_of "$sta" memory-limit)"
for id in still-own-user-ns still-pid1; do
  expect_match "starter: $id (stage 5) passes" "^pass\|" "$(check_of "$sta" "$id")"
done

# --- the solution without its rmdir: only the removal check fails ------------------------------
kc=$REC/keeps-cgroups.06-cgroups.json
check "a record for keeps-cgroups" [ -f "$kc" ]
expect_eq "keeps-cgroups: status fail" "fail" "$(field_of "$kc" status)"
expect_eq "keeps-cgroups: 11 of 12" "11/12" "$(field_of "$kc" score)/$(field_of "$kc" max_score)"
expect_match "keeps-cgroups: cgroups-removed fails (what it made is still there)" "^fail\|" \
  "$(check_of "$kc" cgroups-removed)"
for id in memory-limit pids-limit hog-killed pids-enforced only-asked-limits; do
  expect_match "keeps-cgroups: $id passes" "^pass\|" "$(check_of "$kc" "$id")"
done

# --- nothing left ------------------------------------------------------------------------------
expect_eq "no container left" "" "$(bx ps -a -q)"
scope_gone "grading cgroup (nor one mybox made)"

finish
