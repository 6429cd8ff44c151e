#!/usr/bin/env bash
# What following a fleet's churn costs two builds of the gateway, side by side (issue #16):
# both run at once on ONE simulator's clusters, so they get the same watch events on the
# same machine at the same time; each window, the gateways' CPU (main thread, and the whole
# process with V8's helper threads) is divided by the watch events the simulator sent each
# (simulator_watch_events_sent_total, summed over its clusters, halved: two watch).
#
#   npx tsx src/simulator/cli.ts --clusters 10 --nodes 200 --pods 20000 --jobs 2000 \
#     --namespaces 20 --seed 3 --churn 20 --port 0 --kubeconfig-out /tmp/fleet10.kubeconfig &
#   npx tsc -p tsconfig.build.json --outDir bench/.build/base     # in a worktree of the base
#   npx tsc -p tsconfig.build.json --outDir bench/.build/change
#   bench/steady-ab.sh /tmp/fleet10.kubeconfig bench/.build/base bench/.build/change [windows=5] [seconds=40]
#
# Linux only (/proc). The builds' node_modules are this tree's; run from the repository root.
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: bench/steady-ab.sh KUBECONFIG BUILD_A BUILD_B [windows=5] [seconds=40]" >&2
  exit 2
fi
KC=$1; A=$2; B=$3; W=${4:-5}; S=${5:-40}
CONTEXTS=$(kubectl --kubeconfig "$KC" config get-contexts -o name)
N=$(echo "$CONTEXTS" | wc -l)
PORT_A=${PORT_A:-4201}; PORT_B=${PORT_B:-4202}

start() { npx node "$1/main.js" --kubeconfig "$KC" --port "$2" --log-level warn > "/tmp/steady-ab-$2.log" 2>&1 & }
start "$A" "$PORT_A"; start "$B" "$PORT_B"; sleep 4
PA=$(pgrep -f "^node $A/main.js .*--port $PORT_A"); PB=$(pgrep -f "^node $B/main.js .*--port $PORT_B")
trap 'kill -TERM $PA $PB 2>/dev/null || true' EXIT
echo "A: $A (pid $PA)  B: $B (pid $PB)  $N clusters"
for p in "$PORT_A" "$PORT_B"; do
  for i in $(seq 1 600); do
    s=$(curl -s "http://127.0.0.1:$p/readyz" | grep -c ": synced" || true)
    [ "$s" = "$N" ] && break; sleep 1
  done
  echo "port $p: every cluster synced after ${i} s"
done
sleep 20
ticks() { awk '{print $14+$15}' "$1"; }
events() {
  local t=0 n
  for c in $CONTEXTS; do
    n=$(kubectl --kubeconfig "$KC" --context "$c" get --raw /metrics |
      awk '/^simulator_watch_events_sent_total/ && !/BOOKMARK/ {s+=$2} END {print s+0}')
    t=$((t + n))
  done
  echo "$t"
}
HZ=$(getconf CLK_TCK)
for w in $(seq 1 "$W"); do
  e0=$(events); a0=$(ticks /proc/$PA/task/$PA/stat); b0=$(ticks /proc/$PB/task/$PB/stat)
  ap0=$(ticks /proc/$PA/stat); bp0=$(ticks /proc/$PB/stat)
  sleep "$S"
  e1=$(events); a1=$(ticks /proc/$PA/task/$PA/stat); b1=$(ticks /proc/$PB/task/$PB/stat)
  ap1=$(ticks /proc/$PA/stat); bp1=$(ticks /proc/$PB/stat)
  ev=$(((e1 - e0) / 2))
  us() { echo $(($1 * 1000000 / HZ / ev)); }
  echo "window $w: $ev events each; µs of main thread an event: A $(us $((a1 - a0))) B $(us $((b1 - b0)));" \
    "of the process: A $(us $((ap1 - ap0))) B $(us $((bp1 - bp0)))"
done
