#!/usr/bin/env bash
# Keyboard-to-screen latency at the console station, side by side in one run: the station showing
# its own blade's console (the reference, no OOB hop) and another blade's (keys and frames over
# the OOB channel) — actors/src/test/.../ConsoleLatencyBench.java. Writes the medians into
# docs/benchmarks.md between <!-- console:start --> and <!-- console:end -->.
#
#   bench/console.sh                      # 3 rounds of 400 keys per route
#   ROUNDS=1 KEYS=100 bench/console.sh    # a quick look
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROUNDS=${ROUNDS:-3}
KEYS=${KEYS:-400}
OUT=${OUT:-$here/docs/benchmarks.md}

cd "$here"
mvn -B -q -DskipTests install
mvn -B test -pl actors -Dtest=ConsoleLatencyBench -Drackshare.bench=true -Drackshare.bench.rounds="$ROUNDS" \
  -Drackshare.bench.keys="$KEYS" | grep -E "CONSOLE-BENCH|Tests run|ERROR" || true
table="$here/actors/target/console-bench.md"
[[ -f "$table" ]] || { echo "bench: no results (see actors/target/surefire-reports)" >&2; exit 1; }
python3 "$here/bench/splice.py" console "$OUT" "$table"
echo "bench: table written to $OUT"
