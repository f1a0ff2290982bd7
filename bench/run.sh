#!/usr/bin/env bash
# Rackshare vs nbdkit-file, side by side in one run on one machine, with the same fio jobs
# (nbd engine). Writes a markdown table of medians to docs/benchmarks.md (or $OUT).
#
#   bench/run.sh                 # 3 rounds of 10 s per job
#   ROUNDS=1 RUNTIME=3 bench/run.sh
#   JOBS='^seq' OUT=/tmp/b.md bench/run.sh   # only the jobs whose name matches, table elsewhere
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROUNDS=${ROUNDS:-3}
RUNTIME=${RUNTIME:-10}
RAMP=${RAMP:-2}
DISK_MIB=${DISK_MIB:-384}           # per blade; nbdkit serves a file of 3x this size
OUT=${OUT:-$here/docs/benchmarks.md}
JOBS=${JOBS:-.}
for tool in fio nbdkit nbdinfo; do
  command -v $tool >/dev/null || { echo "bench: needs $tool (apt-get install fio nbdkit libnbd-bin)" >&2; exit 2; }
done

jar="$here/cluster-config/target/rackshare-cluster-config-0.1.0-SNAPSHOT.jar"
[[ -f "$jar" ]] || (cd "$here" && mvn -B -q -DskipTests install)
cp="$jar:$here/cluster-config/target/lib/*"

work=$(mktemp -d /tmp/rackshare-bench-XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# (a) nbdkit's file plugin
total_mib=$((3 * DISK_MIB))
truncate -s ${total_mib}M "$work/nbdkit.img"
kport=$(free_port)
nbdkit -f -p "$kport" -i 127.0.0.1 file "$work/nbdkit.img" &
pids+=($!)

# (b) three Rackshare blades, one spanned volume
seed=$(free_port)
for slot in 1 2 3; do
  oob=$([[ $slot == 1 ]] && echo "$seed" || free_port)
  mkdir -p "$work/blade$slot"
  # Each blade's certificate of the bench cluster's CA (the OOB channel runs mutual TLS).
  java -cp "$cp" io.rackshare.node.RackshareCli certs --dir "$work/ca" --blade "blade$slot" --address 127.0.0.1 > /dev/null
  cat > "$work/blade$slot/node.conf" <<CONF
rackshare {
  tls.dir = "$work/ca/blade$slot"
  blade { slot = $slot, data-dir = "$work/blade$slot", disks = [{ file = disk0.img, size = ${DISK_MIB}MiB }] }
  oob { hostname = "127.0.0.1", port = $oob }
  seed-nodes = ["127.0.0.1:$seed"]
  nbd.port = 0
  management.port = 0
  volumes = [{ name = bench, members = ["Rack(1)/Chassis(1)/Blade(1)/Disk(0)",
    "Rack(1)/Chassis(1)/Blade(2)/Disk(0)", "Rack(1)/Chassis(1)/Blade(3)/Disk(0)"] }]
}
CONF
  java ${RACKSHARE_JAVA_OPTS:--XX:G1HeapRegionSize=8m} -cp "$cp" io.rackshare.node.RackshareCli node --config "$work/blade$slot/node.conf" \
    > "$work/blade$slot/node.log" 2>&1 &
  pids+=($!)
done
for slot in 1 2 3; do
  for _ in $(seq 600); do grep -q "RACKSHARE READY" "$work/blade$slot/node.log" && break; sleep 0.2; done
  grep -q "RACKSHARE READY" "$work/blade$slot/node.log" || { cat "$work/blade$slot/node.log"; exit 1; }
done
ruri=$(grep -o 'nbd=nbd://[^ ]*' "$work/blade1/node.log" | head -1 | cut -d= -f2)bench
kuri="nbd://127.0.0.1:$kport/"
echo "nbdkit: $kuri   rackshare (through blade 1): $ruri" >&2

# Fill both so reads hit written data.
for uri in "$kuri" "$ruri"; do
  fio --name=fill --ioengine=nbd --uri="$uri" --rw=write --bs=1M --iodepth=8 --size=${total_mib}M \
    --output-format=json > /dev/null
done

jobs=(
  "seq-read-1M|--rw=read --bs=1M --iodepth=8"
  "seq-write-1M|--rw=write --bs=1M --iodepth=8"
  "rand-read-4k-qd1|--rw=randread --bs=4k --iodepth=1"
  "rand-read-4k-qd32|--rw=randread --bs=4k --iodepth=32"
  "rand-write-4k-qd1|--rw=randwrite --bs=4k --iodepth=1"
  "rand-write-4k-qd32|--rw=randwrite --bs=4k --iodepth=32"
)
results="$work/results.tsv"
: > "$results"
for round in $(seq "$ROUNDS"); do
  for job in "${jobs[@]}"; do
    name=${job%%|*}; args=${job#*|}
    [[ $name =~ $JOBS ]] || continue
    for server in nbdkit rackshare; do
      uri=$([[ $server == nbdkit ]] && echo "$kuri" || echo "$ruri")
      echo "round $round: $name on $server" >&2
      # shellcheck disable=SC2086
      fio --name="$name" --ioengine=nbd --uri="$uri" $args --size=1G --time_based \
        --runtime="$RUNTIME" --ramp_time="$RAMP" --output-format=json > "$work/fio.json"
      python3 - "$work/fio.json" "$server" "$name" >> "$results" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
j = json.loads(text[text.index("{"):])["jobs"][0]  # fio's nbd engine prints a line before the JSON
d = j["read"] if j["read"]["io_bytes"] > 0 else j["write"]
p = d["clat_ns"].get("percentile", {})
print("\t".join([sys.argv[2], sys.argv[3], "%.1f" % (d["bw"] / 1024.0), "%.0f" % d["iops"],
                 "%.0f" % (p.get("50.000000", 0) / 1000.0), "%.0f" % (p.get("99.000000", 0) / 1000.0)]))
PY
    done
  done
done

python3 - "$results" "$OUT" "$ROUNDS" "$RUNTIME" "$DISK_MIB" <<'PY'
import sys, statistics, collections, datetime, platform, os
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    server, job, mib, iops, p50, p99 = line.rstrip("\n").split("\t")
    rows[(job, server)].append((float(mib), float(iops), float(p50), float(p99)))
def med(job, server, i):
    return statistics.median(r[i] for r in rows[(job, server)])
jobs = list(dict.fromkeys(job for job, _ in rows))
out = []
out.append("| job | nbdkit MiB/s | rackshare MiB/s | ratio | nbdkit IOPS | rackshare IOPS | ratio | nbdkit p50 / p99 us | rackshare p50 / p99 us | p50 ratio |")
out.append("|---|---|---|---|---|---|---|---|---|---|")
for job in jobs:
    k = [med(job, "nbdkit", i) for i in range(4)]
    r = [med(job, "rackshare", i) for i in range(4)]
    ratio = lambda a, b: "%.2f" % (a / b) if b else "-"
    out.append("| %s | %.0f | %.0f | %s | %.0f | %.0f | %s | %.0f / %.0f | %.0f / %.0f | %s |" % (
        job, k[0], r[0], ratio(r[0], k[0]), k[1], r[1], ratio(r[1], k[1]), k[2], k[3], r[2], r[3], ratio(r[2], k[2])))
table = "\n".join(out)
path = sys.argv[2]
text = open(path).read() if os.path.exists(path) else ""
start, end = "<!-- bench:start -->", "<!-- bench:end -->"
block = "%s\nMedians of %s interleaved rounds of %s s per job (fio nbd engine, 1 GiB range), %s, %s cores; measured %s.\n\n%s\n%s" % (
    start, sys.argv[3], sys.argv[4], platform.machine(), os.cpu_count(), datetime.date.today(), table, end)
if start in text and end in text:
    text = text[: text.index(start)] + block + text[text.index(end) + len(end):]
else:
    text += ("\n" if text else "") + block + "\n"
open(path, "w").write(text)
print(table)
PY
