#!/usr/bin/env bash
# The data lane's transport against Netty's, with TLS (issue 14): the lane's own frames over one
# loopback TCP connection in one JVM, the hand-written lane (smm.LaneConnection, smm.TlsChannel with
# the JDK's engine or BoringSSL's) beside Netty's epoll transport with SslHandler (JDK, BoringSSL),
# Pekko Streams' TCP with its TLS stage (the JDK's engine), and the lane and Netty without TLS
# (multi-jvm-tests/.../smm/LaneTransportBench.java). Writes the table into docs/benchmarks.md
# between <!-- lane-transport:start --> and <!-- lane-transport:end -->.
#
#   bench/lane-transport.sh                 # 3 interleaved rounds of 5 s per job (about 13 minutes)
#   ROUNDS=1 SECONDS_PER_JOB=2 bench/lane-transport.sh
#   TRANSPORTS='.*BoringSSL.*' JOBS='read-4k.*' OUT=/tmp/t.md bench/lane-transport.sh   # a slice (regexes)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROUNDS=${ROUNDS:-3}
SECONDS_PER_JOB=${SECONDS_PER_JOB:-5}
OUT=${OUT:-$here/docs/benchmarks.md}

cd "$here"
mvn -B -q -DskipTests install
mvn -B verify -pl multi-jvm-tests -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test=LaneTransportBench -Drackshare.bench=true -Drackshare.test.jvm-options= -Drackshare.bench.rounds="$ROUNDS" \
  -Drackshare.bench.seconds="$SECONDS_PER_JOB" -Drackshare.bench.transports="${TRANSPORTS:-}" \
  -Drackshare.bench.jobs="${JOBS:-.*}" | grep -E "LANE-BENCH|Tests run|ERROR" || true
table="$here/multi-jvm-tests/target/lane-transport-bench.md"
[[ -f "$table" ]] || { echo "bench: no results (see multi-jvm-tests/target/failsafe-reports)" >&2; exit 1; }
cat "$table"
python3 "$here/bench/splice.py" lane-transport "$OUT" "$table"
echo "bench: table written to $OUT"
