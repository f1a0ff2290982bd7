#!/usr/bin/env bash
# The chaos soak: CYCLES kill -9 / restart cycles of the demo's blades (the manager's blade every
# third cycle) under fio with crc32c verification on raid1, raid5 and raid10 through surviving
# blades, the verify state checked after every cycle (multi-jvm-tests/.../ChaosIT.java, which the
# test suite runs with 1 cycle). Writes the table into docs/benchmarks.md between
# <!-- chaos:start --> and <!-- chaos:end -->.
#
#   bench/chaos.sh                 # 100 cycles (about 30 minutes on 2 cores)
#   CYCLES=20 SEED=7 bench/chaos.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CYCLES=${CYCLES:-100}
OUT=${OUT:-$here/docs/benchmarks.md}
command -v fio >/dev/null || { echo "chaos: needs fio" >&2; exit 2; }
seed=()
[[ -n "${SEED:-}" ]] && seed=("-Drackshare.chaos.seed=$SEED")

cd "$here"
mvn -B -q -DskipTests install
mvn -B verify -pl multi-jvm-tests -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test=ChaosIT -Drackshare.chaos.cycles="$CYCLES" "${seed[@]}" | grep -E "CHAOS|Tests run|ERROR" || true
table="$here/multi-jvm-tests/target/chaos.md"
[[ -f "$table" ]] || { echo "chaos: no results (see multi-jvm-tests/target/failsafe-reports and target/multi-jvm/ChaosIT)" >&2; exit 1; }
cat "$table"
python3 "$here/bench/splice.py" chaos "$OUT" "$table"
echo "chaos: table written to $OUT"
