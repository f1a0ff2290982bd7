#!/usr/bin/env bash
# The drain soak: runs multi-jvm-tests/.../DrainAcrossJvmsIT RUNS times (the suite runs it once).
# Each run drains blades of a 2-copy mirror under fio verify and kills, with SIGKILL, a move's
# target, a move's source and the manager's blade in the middle of moves. Prints one line per
# run and a summary; a failed run keeps its blades' logs under
# multi-jvm-tests/target/multi-jvm/drain-soak-<n>/.
#
#   bench/drain-soak.sh            # 10 runs (about 20 minutes on 2 cores)
#   RUNS=3 bench/drain-soak.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS=${RUNS:-10}
cd "$here"
mvn -B -q -o install -DskipTests
passed=0
for n in $(seq 1 "$RUNS"); do
  start=$(date +%s)
  if mvn -B -o verify -pl multi-jvm-tests -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
      -Dit.test=DrainAcrossJvmsIT > "/tmp/drain-soak-$n.log" 2>&1; then
    passed=$((passed + 1))
    echo "run $n: passed in $(( $(date +%s) - start )) s"
  else
    echo "run $n: FAILED in $(( $(date +%s) - start )) s (log /tmp/drain-soak-$n.log)"
    rm -rf "multi-jvm-tests/target/multi-jvm/drain-soak-$n"
    cp -r multi-jvm-tests/target/multi-jvm/DrainAcrossJvmsIT "multi-jvm-tests/target/multi-jvm/drain-soak-$n" || true
  fi
done
echo "drain soak: $passed of $RUNS runs passed"
[ "$passed" -eq "$RUNS" ]
