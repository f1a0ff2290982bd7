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
  -Dit.test=FailoverBench -Drackshare.bench=true -Drackshare.bench.rounds="$ROUNDS" | grep -E "FAILOVER-BENCH|Tests run|ERROR" || true
table="$here/multi-jvm-tests/target/failover-bench.md"
[[ -f "$table" ]] || { echo "bench: no results (see multi-jvm-tests/target/failsafe-reports)" >&2; exit 1; }
cat "$table"
python3 - "$OUT" "$table" <<'PY'
import sys, datetime, os
out, table = sys.argv[1], sys.argv[2]
body = open(table).read()
start, end = "<!-- failover:start -->", "<!-- failover:end -->"
doc = open(out).read() if os.path.exists(out) else ""
block = f"{start}\n_Run {datetime.date.today()} on {os.cpu_count()} cores._\n\n{body}\n{end}"
if start in doc and end in doc:
    doc = doc[:doc.index(start)] + block + doc[doc.index(end) + len(end):]
else:
    doc += "\n" + block + "\n"
open(out, "w").write(doc)
PY
echo "bench: table written to $OUT"
