#!/usr/bin/env bash
# How the cluster grows: time to ready, a map broadcast and the manager's takeover with 4, 8 and
# 16 blades (multi-jvm-tests/.../ScaleBench.java). Writes the table into docs/benchmarks.md
# between <!-- scale:start --> and <!-- scale:end -->.
#
#   bench/scale.sh              # 1 round per size
#   ROUNDS=3 bench/scale.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROUNDS=${ROUNDS:-1}
OUT=${OUT:-$here/docs/benchmarks.md}

cd "$here"
mvn -B -q -DskipTests install
mvn -B verify -pl multi-jvm-tests -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test=ScaleBench -Drackshare.bench=true -Drackshare.test.jvm-options= -Drackshare.bench.rounds="$ROUNDS" | grep -E "SCALE-BENCH|Tests run|ERROR" || true
table="$here/multi-jvm-tests/target/scale-bench.md"
[[ -f "$table" ]] || { echo "bench: no results (see multi-jvm-tests/target/failsafe-reports)" >&2; exit 1; }
cat "$table"
python3 "$here/bench/splice.py" scale "$OUT" "$table"
echo "bench: table written to $OUT"
