#!/bin/sh
# Runs one libFuzzer target for BOXLAB_FUZZ_SECONDS (default 60) from its seed corpus.
#   run_fuzzer.sh FUZZER SEED_DIR WORK_DIR [DICT]
# New inputs go to WORK_DIR/corpus (read first, so a longer run resumes where the last one
# stopped), crashes to WORK_DIR/artifacts/; scratch files to WORK_DIR/tmp. Exit status:
# the fuzzer's (non-zero on a crash, a leak, a timeout or a sanitizer report).
set -eu
fuzzer=$1 seeds=$2 work=$3 dict=${4:-}
seconds=${BOXLAB_FUZZ_SECONDS:-60}
mkdir -p "$work/corpus" "$work/artifacts"
# Absolute paths: a target may change its working directory (unpack does).
fuzzer=$(realpath "$fuzzer") seeds=$(realpath "$seeds") work=$(realpath "$work")
[ -n "$dict" ] && dict=$(realpath "$dict")
rm -rf "$work/tmp" && mkdir -p "$work/tmp"
set -- -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/"
[ -n "$dict" ] && set -- "$@" -dict="$dict"
status=0
TMPDIR="$work/tmp" "$fuzzer" "$@" "$work/corpus" "$seeds" || status=$?
rm -rf "$work/tmp"
if [ "$status" -ne 0 ]; then
  echo "run_fuzzer: $(basename "$fuzzer") failed (status $status); inputs: $work/artifacts/" >&2
  ls -l "$work/artifacts/" >&2 || true
fi
exit "$status"
