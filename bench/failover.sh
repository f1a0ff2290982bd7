#!/usr/bin/env bash
# Manager takeover and the client's I/O stall, in both routing modes (local-maps, manager-proxy),
# side by side in one run: a 4-blade cluster of separate JVMs on the H2 journal server, fio doing
# 4 KiB random reads and writes at QD1 through blade 4, the manager's JVM killed with SIGKILL in
# the middle (multi-jvm-tests/.../FailoverBench.java). Writes the medians into docs/benchmarks.md
# between <!-- failover:start --> and <!-- failover:end -->.
#
#   bench/failover.sh             # 3 rounds per mode
#   ROUNDS=1 bench/failover.sh    # a quick look
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROUNDS=${ROUNDS:-3}
OUT=${OUT:-$here/docs/benchmarks.md}
command -v fio >/dev/null || { echo "bench: needs fio" >&2; exit 2; }

cd "$here"
mvn -B -q -DskipTests install
mvn -B verify -pl multi-jvm-tests -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test=FailoverBench -Drackshare.bench=true -Drackshare.test.jvm-options= -Drackshare.bench.rounds="$ROUNDS" | grep -E "FAILOVER-BENCH|Tests run|ERROR" || true
table="$here/multi-jvm-tests/target/failover-bench.md"
[[ -f "$table" ]] || { echo "bench: no results (see multi-jvm-tests/target/failsafe-reports)" >&2; exit 1; }
cat "$table"
python3 "$here/bench/splice.py" failover "$OUT" "$table"
echo "bench: table written to $OUT"
