#!/usr/bin/env bash
# The console station, measured side by side with a reference in one run:
# - keyboard-to-screen latency: the station showing its own blade's console (the reference, no OOB
#   hop) and another blade's (keys and frames over the OOB channel), ConsoleLatencyBench;
# - what the RFB server sends while text scrolls, per encoding set the viewer offers, with Raw as
#   the reference, RfbBandwidthBench.
# Writes the medians into docs/benchmarks.md between <!-- console:start --> and <!-- console:end -->
# and between <!-- rfb:start --> and <!-- rfb:end -->.
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
mvn -B test -pl actors -Dtest='ConsoleLatencyBench,RfbBandwidthBench' -Drackshare.bench=true -Drackshare.bench.rounds="$ROUNDS" \
  -Drackshare.bench.keys="$KEYS" | grep -E "CONSOLE-BENCH|RFB-BENCH|Tests run|ERROR" || true
table="$here/actors/target/console-bench.md"
[[ -f "$table" ]] || { echo "bench: no results (see actors/target/surefire-reports)" >&2; exit 1; }
python3 "$here/bench/splice.py" console "$OUT" "$table"
rfb="$here/actors/target/rfb-bench.md"
[[ -f "$rfb" ]] || { echo "bench: no RFB results (see actors/target/surefire-reports)" >&2; exit 1; }
python3 "$here/bench/splice.py" rfb "$OUT" "$rfb"
echo "bench: table written to $OUT"
