#!/usr/bin/env bash
# What following a fleet's churn leaves to the garbage collector, for two or more builds of the
# gateway side by side (issue #16): all run at once on ONE simulator's clusters, under
# --trace-gc-nvp, with the image's flags. Each window: the bytes the scavenges promoted into
# the old generation per watch event (what the full GCs of a fleet's heap are made of), the
# scavenges and mark-compacts with their pauses, and each process's CPU per event (watch
# events the simulator sent, summed over its clusters, divided by the number of builds).
# STOP_EVERY=s STOP_MS=ms: every s seconds every gateway is SIGSTOPped for ms, as a long GC
# pause stalls it, so that each catches up a backlog.
#
#   npx tsx src/simulator/cli.ts --clusters 10 --nodes 200 --pods 20000 --jobs 2000 \
#     --namespaces 20 --max-pods-per-namespace 3000 --churn 20 --seed 3 --port 0 \
#     --kubeconfig-out /tmp/fleet10.kubeconfig &
#   npx tsc -p tsconfig.build.json --outDir bench/.build/base     # in a worktree of the base
#   npx tsc -p tsconfig.build.json --outDir bench/.build/change
#   bench/gc-ab.sh /tmp/fleet10.kubeconfig 4 60 bench/.build/base bench/.build/change
#
# Linux only (/proc). The builds' node_modules are this tree's; run from the repository root.
set -euo pipefail
if [ $# -lt 5 ]; then
  echo "usage: bench/gc-ab.sh KUBECONFIG WINDOWS SECONDS BUILD BUILD..." >&2
  exit 2
fi
KC=$1; W=$2; S=$3; shift 3; BUILDS=("$@")
LOGS=$(mktemp -d)
echo "trace logs in $LOGS"
CONTEXTS=$(kubectl --kubeconfig "$KC" config get-contexts -o name)
N=$(echo "$CONTEXTS" | wc -l)
PIDS=(); PORTS=()
for i in "${!BUILDS[@]}"; do
  port=$((4301 + i)); PORTS+=($port)
  node_modules/node/bin/node --trace-gc-nvp --max-old-space-size-percentage=75 --no-allocation-site-pretenuring "${BUILDS[$i]}/main.js" --kubeconfig "$KC" --port "$port" --log-level warn > "$LOGS/gc-$port.log" 2>&1 &
  PIDS+=($!)
done
trap 'kill -CONT ${PIDS[*]} 2>/dev/null; kill -TERM ${PIDS[*]} 2>/dev/null || true' EXIT
for p in "${PORTS[@]}"; do
  for i in $(seq 1 900); do s=$(curl -s "http://127.0.0.1:$p/readyz" | grep -c ": synced" || true); [ "$s" = "$N" ] && break; sleep 1; done
  echo "port $p synced after ${i}s"
done
sleep 20
if [ -n "${STOP_EVERY:-}" ]; then
  ( while true; do sleep "$STOP_EVERY"; kill -STOP ${PIDS[*]}; sleep "$(awk -v ms="${STOP_MS:-2000}" 'BEGIN { print ms / 1000 }')"; kill -CONT ${PIDS[*]}; done ) &
  STOPPER=$!
  trap 'kill $STOPPER 2>/dev/null; kill -CONT ${PIDS[*]} 2>/dev/null; kill -TERM ${PIDS[*]} 2>/dev/null || true' EXIT
fi
events() { local t=0 n; for c in $CONTEXTS; do n=$(kubectl --kubeconfig "$KC" --context "$c" get --raw /metrics | awk '/^simulator_watch_events_sent_total/ && !/BOOKMARK/ {s+=$2} END {print s+0}'); t=$((t + n)); done; echo "$t"; }
ticks() { awk '{print $14+$15}' /proc/$1/stat; }
HZ=$(getconf CLK_TCK); NB=${#BUILDS[@]}
for w in $(seq 1 "$W"); do
  declare -a L0 T0 T1
  for i in "${!BUILDS[@]}"; do L0[$i]=$(wc -l < $LOGS/gc-${PORTS[$i]}.log); T0[$i]=$(ticks ${PIDS[$i]}); done
  e0=$(events); sleep "$S"; e1=$(events)
  for i in "${!BUILDS[@]}"; do T1[$i]=$(ticks ${PIDS[$i]}); done
  ev=$(((e1 - e0) / NB))
  line="window $w: $ev events each;"
  for i in "${!BUILDS[@]}"; do
    g=$(tail -n +$(( ${L0[$i]} + 1 )) $LOGS/gc-${PORTS[$i]}.log | awk -v ev=$ev '/gc=s /{ for(i=1;i<=NF;i++){ if($i ~ /^promoted=/){split($i,a,"="); p+=a[2]} if($i ~ /^pause=/){split($i,b,"="); sp+=b[2]} } s++ } /gc=mc|gc=mmc|gc=ms/{ mc++; for(i=1;i<=NF;i++) if($i ~ /^pause=/){split($i,b,"="); mp+=b[2]} } END { printf "promoted %d B/event, %d scav (%.0f ms), %d mc (%.0f ms)", p/ev, s, sp, mc, mp }')
    line="$line | $(basename ${BUILDS[$i]}): $g, CPU $(((${T1[$i]} - ${T0[$i]}) * 1000000 / HZ / ev)) µs/ev"
  done
  echo "$line"
done
