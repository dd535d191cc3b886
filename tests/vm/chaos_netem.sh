#!/bin/sh
# In-guest chaos network faults through the kernel (issue 21): Debian's kernel has sch_netem
# (the dev host's has not, where a chaos proxy does the job: root/chaos). A delay fault on a
# container's interface slows every probe by at least the delay both ways; a loss fault makes
# the hypothesis deviate; both are undone (no netem qdisc left); a container on the host's
# network is refused (the host is never in the blast radius).
# shellcheck source=./lib.sh
. /test/lib.sh

check "boxlab image build-base" need_base
check "a web container" bx run -d --name web base sh -c \
  'mkdir -p /www && echo page-ok > /www/index.html && exec httpd -f -p 127.0.0.1:8080 -h /www'
pid=$(bx inspect web | sed -n 's/^  "pid": *\([0-9]*\).*/\1/p' | head -1)  # the top level's

# The probe enters web's network only (busybox nsenter + wget): under tcg a whole `boxlab exec`
# takes seconds, too slow to time a fault against.
experiment() {  # $1 file, $2 the fault, $3 tolerance, $4 probe timeout (s)
  {
    echo "title: netem in the guest"
    echo "hypothesis: the page comes back"
    echo "steadyState:"
    echo "  probe: {command: [nsenter, -t, \"$pid\", -n, wget, -q, -O, -, \"http://127.0.0.1:8080/\"]}"
    echo "  intervalSeconds: 0.2"
    echo "  timeoutSeconds: $4"
    echo "  tolerance: $3"
    echo "  beforeSeconds: 1"
    echo "  afterSeconds: 0"
    echo "blastRadius: {containers: [web]}"
    echo "method:"
    echo "  - $2"
  } > "$1"
}

# --- delay: 300 ms each way on lo, where the probe's traffic goes ---------------------------
experiment /tmp/slow.yaml "{at: 0, action: delay, container: web, interface: lo, ms: 300, seconds: 3}" \
  "{successRatio: 0}" 10
bx chaos run /tmp/slow.yaml --journal /tmp/slow.json > /tmp/slow.out 2>&1
expect_eq "the delay experiment ran" "0" "$?"
cat /tmp/slow.out
# The slowest probe during the fault: at least one request and one answer, 300 ms each.
slowest=$(sed -n '/"samples"/,$p' /tmp/slow.json | tr ',{}' '\n\n\n' | sed -n 's/^ *"ms": *\([0-9.]*\).*/\1/p' | sort -n | tail -1)
check "a probe under the delay took at least 600 ms (slowest: ${slowest} ms)" \
  awk -v v="${slowest:-0}" 'BEGIN { exit !(v >= 600) }'
expect_match "the journal names the interface" '"interfaces": *\[ *"lo"' "$(tr -d '\n' < /tmp/slow.json)"

# --- loss: every packet on lo dropped: the hypothesis deviates ------------------------------
experiment /tmp/lossy.yaml "{at: 0, action: delay, container: web, interface: lo, loss: 1, seconds: 6}" \
  "{successRatio: 0.9}" 2
bx chaos run /tmp/lossy.yaml > /tmp/lossy.out 2>&1
expect_eq "total loss: deviated (exit 2)" "2" "$?"
expect_match "the verdict says so" "verdict: deviated" "$(cat /tmp/lossy.out)"

# --- undone: no netem qdisc on the container's lo, and the page comes back ------------------
qdisc=$(nsenter -t "$pid" -n tc qdisc show dev lo 2>&1)
expect_eq "no netem left on lo" "" "$(printf '%s\n' "$qdisc" | grep netem)"
expect_eq "the page after the faults" "page-ok" "$(bx exec web wget -q -O - http://127.0.0.1:8080/)"

# --- the host's network is never a target ---------------------------------------------------
check "a host-network container" bx run -d --name hostnet --net host base sleep 100
{
  echo "title: t"
  echo "hypothesis: h"
  echo "steadyState:"
  echo "  probe: {command: [\"true\"]}"
  echo "  tolerance: {successRatio: 1}"
  echo "blastRadius: {containers: [hostnet]}"
  echo "method:"
  echo "  - {action: delay, container: hostnet, ms: 100, seconds: 1}"
} > /tmp/host.yaml
out=$(bx chaos run /tmp/host.yaml 2>&1)
expect_eq "a delay on the host's network is refused" "1" "$?"
expect_match "it says why" "uses the host's network" "$out"
expect_eq "no qdisc was added to the host's lo" "" "$(tc qdisc show dev lo | grep netem)"

bx rm -f web hostnet >/dev/null 2>&1
finish
