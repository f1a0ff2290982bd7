#!/usr/bin/env bash
# A longer fuzzing campaign than the suite's slice (10 s per target): Jazzer fuzzes each target for
# SECONDS (default 600), one after the other, each in a JVM of its own. Targets: the NBD handshake
# and request parser (NbdProtocolFuzzTest), the data lane's frames and the target's decoders
# (DataLaneFuzzTest), the console station's RFB and web/WebSocket listeners (ConsoleStationFuzzTest).
# The corpus grows in actors/.cifuzz-corpus/ (not committed); a finding is written to the test's
# inputs directory under actors/src/test/resources/ and the run stops with its stack trace: fix it,
# and commit the input, which the suite then runs as a regression test.
#
#   bench/fuzz.sh                          # every target, 10 minutes each
#   SECONDS_EACH=60 bench/fuzz.sh DataLaneFuzzTest
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds=${SECONDS_EACH:-600}
targets=("$@")
((${#targets[@]})) || targets=(NbdProtocolFuzzTest DataLaneFuzzTest ConsoleStationFuzzTest)

cd "$here"
mvn -B -q -DskipTests install
status=0
for t in "${targets[@]}"; do
  echo "fuzz: $t for ${seconds} s"
  # Jazzer takes libFuzzer's arguments as JUnit configuration parameters (the first is argv[0]);
  # the last -max_total_time wins over the annotation's.
  if ! JAZZER_FUZZ=1 mvn -B test -pl actors -Dfuzz.skip=true -Dtest="$t" -Dsurefire.failIfNoSpecifiedTests=false \
      -Djazzer.internal.arg.0=fuzz -Djazzer.internal.arg.1=-max_total_time="$seconds" \
      > "actors/target/fuzz-$t.log" 2>&1; then
    status=1
    echo "fuzz: $t FOUND something: actors/target/fuzz-$t.log; new inputs:"
    git -C "$here" status --short actors/src/test/resources
  fi
  grep -a -E '^#[0-9]+.*DONE' "actors/target/fuzz-$t.log" | tail -1 || true
done
exit $status
