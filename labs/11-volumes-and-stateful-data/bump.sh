#!/bin/sh
# bump.sh ME OTHER [lock]: add 1 to /data/counter the way a careless program does: read the
# number, work a little, write the number plus one. Each run appends what it read and wrote to
# /data/bump.log.
#   Without "lock", ME waits after reading until OTHER has read too: a fixed interleaving (both
#   read before either writes), so one of the two updates is always lost, not just sometimes.
#   With "lock", read-and-write happens while holding a lock: mkdir is atomic (of two mkdirs of
#   one name, exactly one succeeds), so the second waits until the first is done.
me=$1 other=$2 mode=${3:-nolock}
if [ "$mode" = lock ]; then
  until mkdir /data/counter.lock 2>/dev/null; do sleep 0.05; done
fi
n=$(cat /data/counter) || exit 1
if [ "$mode" = nolock ]; then
  touch "/data/$me.read"
  i=0
  while [ ! -e "/data/$other.read" ]; do
    i=$((i + 1))
    if [ $i -gt 200 ]; then
      echo "bump.sh: $other never read the counter (is bump.sh running there too?)" >&2
      exit 1
    fi
    sleep 0.05
  done
fi
echo $((n + 1)) > /data/counter
echo "$me $mode read $n wrote $((n + 1))" >> /data/bump.log
if [ "$mode" = lock ]; then
  rmdir /data/counter.lock
fi
exit 0
