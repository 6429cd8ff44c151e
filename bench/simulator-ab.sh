#!/usr/bin/env bash
# What the simulator's own churn costs two checkouts of it (issue #16: in the fleet bench five
# simulators share the machine's two cores with the gateway being measured). Both run at once
# with the same arguments and seed, nothing watching them; each window, each process's
# main-thread CPU and whole-process CPU (V8's GC helper threads too) are read from /proc, in
# ticks of 10 ms.
#
#   git worktree add /tmp/base <commit> && ln -s "$PWD/node_modules" /tmp/base/node_modules
#   bench/simulator-ab.sh /tmp/base . [windows=6] [seconds=30] [warm-up seconds=90]
#
# SIM_ARGS overrides the simulators' arguments (default: 10 fleet-shaped clusters, churn 20/s).
# V8's --cpu-prof showed a busy simulator's main thread as 95 % idle where /proc said 14-17 %
# busy (session 36); for where the time goes, use perf with --perf-prof and `perf inject --jit`.
# Linux only (/proc).
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: bench/simulator-ab.sh CHECKOUT_A CHECKOUT_B [windows=6] [seconds=30] [warm-up=90]" >&2
  exit 2
fi
A=$(cd "$1" && pwd); B=$(cd "$2" && pwd); W=${3:-6}; S=${4:-30}; WARM=${5:-90}
ARGS=${SIM_ARGS:---clusters 10 --nodes 200 --pods 20000 --jobs 2000 --namespaces 20 --max-pods-per-namespace 3000 --churn 20 --seed 3}
WORK=$(mktemp -d)
start() {
  # shellcheck disable=SC2086
  (cd "$1" && exec npx node --import tsx src/simulator/cli.ts $ARGS --port 0 --kubeconfig-out "$WORK/$2.kubeconfig" > "$WORK/$2.log" 2>&1) &
}
start "$A" a; start "$B" b
trap 'pkill -f "$WORK/[ab].kubeconfig" 2>/dev/null || true; rm -rf "$WORK"' EXIT
sleep "$WARM"
PA=$(pgrep -f "node --import tsx src/simulator/cli.ts .*$WORK/a.kubeconfig" | tail -1)
PB=$(pgrep -f "node --import tsx src/simulator/cli.ts .*$WORK/b.kubeconfig" | tail -1)
echo "A: $A (pid $PA)  B: $B (pid $PB)  $ARGS"
main() { awk '{print $14+$15}' "/proc/$1/task/$1/stat"; }
whole() { awk '{print $14+$15}' "/proc/$1/stat"; }
sa=0; sb=0; ta=0; tb=0
for w in $(seq 1 "$W"); do
  a0=$(main "$PA"); b0=$(main "$PB"); wa0=$(whole "$PA"); wb0=$(whole "$PB")
  sleep "$S"
  a1=$(main "$PA"); b1=$(main "$PB"); wa1=$(whole "$PA"); wb1=$(whole "$PB")
  echo "window $w: main thread A $((a1 - a0)) B $((b1 - b0)); process A $((wa1 - wa0)) B $((wb1 - wb0))"
  sa=$((sa + a1 - a0)); sb=$((sb + b1 - b0)); ta=$((ta + wa1 - wa0)); tb=$((tb + wb1 - wb0))
done
echo "sum over $W windows of $S s: main thread A $sa B $sb; process A $ta B $tb (ticks of 10 ms)"
