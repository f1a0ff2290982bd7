#!/usr/bin/env bash
# Redundancy costs, side by side in one run on one 5-blade cluster (fio through blade 1's NBD
# exports; every member sits on blades 2-5, so every copy is one hop away from the client):
#   - write overhead: span vs raid1 vs raid5, 1 MiB sequential and 4 KiB random (QD1, QD32)
#   - reads: raid1 with read-policy = primary vs balanced, 1 MiB sequential and 4 KiB QD32
#   - rebuild: a failed member replaced by its hot spare, alone and under a foreground load
#   - resync: a mirror copy whose blade is killed and started again after writes to the first
#     16 MiB of its volume; only the regions written meanwhile are copied (vs the whole rebuild above)
# Writes the medians into docs/benchmarks.md between <!-- raid:start --> and <!-- raid:end -->.
#
#   bench/raid.sh                     # 3 rounds of 10 s per job
#   ROUNDS=1 RUNTIME=3 bench/raid.sh  # a quick look
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROUNDS=${ROUNDS:-3}
RUNTIME=${RUNTIME:-10}
RAMP=${RAMP:-2}
DISK_MIB=${DISK_MIB:-256}
OUT=${OUT:-$here/docs/benchmarks.md}
for tool in fio curl python3; do
  command -v $tool >/dev/null || { echo "bench: needs $tool" >&2; exit 2; }
done

jar="$here/cluster-config/target/rackshare-cluster-config-0.1.0-SNAPSHOT.jar"
[[ -f "$jar" ]] || (cd "$here" && mvn -B -q -DskipTests install)
cp="$jar:$here/cluster-config/target/lib/*"

work=$(mktemp -d /tmp/rackshare-raid-bench-XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
d() { echo "\"Rack(1)/Chassis(1)/Blade($1)/Disk($2)\""; }

seed=$(free_port)
for slot in 1 2 3 4 5; do
  oob=$([[ $slot == 1 ]] && echo "$seed" || free_port)
  mkdir -p "$work/blade$slot"
  # Blade 5 holds only the second copy of rr, so that its return resyncs nothing else.
  count=$([[ $slot == 1 ]] && echo 0 || ([[ $slot == 5 ]] && echo 1 || echo 7))
  disks=$(python3 -c "print('[' + ', '.join('{ file = disk%d.img, size = ${DISK_MIB}MiB }' % i for i in range($count)) + ']')")
  # Each blade's certificate of the bench cluster's CA (the OOB channel runs mutual TLS).
  java -cp "$cp" io.rackshare.node.RackshareCli certs --dir "$work/ca" --blade "blade$slot" --address 127.0.0.1 > /dev/null
  cat > "$work/blade$slot/node.conf" <<CONF
rackshare {
  tls.dir = "$work/ca/blade$slot"
  blade { slot = $slot, data-dir = "$work/blade$slot", disks = $disks }
  oob { hostname = "127.0.0.1", port = $oob }
  seed-nodes = ["127.0.0.1:$seed"]
  nbd.port = 0
  management.port = 0
  volumes = [
    { name = span, layout = span, members = [$(d 3 0), $(d 4 0)] }
    { name = r1p, layout = raid1, read-policy = primary, members = [$(d 3 1), $(d 4 1)] }
    { name = r1b, layout = raid1, read-policy = balanced, members = [$(d 3 2), $(d 4 2)] }
    { name = r5, layout = raid5, members = [$(d 2 0), $(d 3 3), $(d 4 3)] }
    { name = rb, layout = raid1, rebuild-rate = 0, members = [$(d 2 1), $(d 3 4)], spares = [$(d 4 4)] }
    { name = rbl, layout = raid1, rebuild-rate = 0, members = [$(d 2 2), $(d 3 5)], spares = [$(d 4 5)] }
    { name = rr, layout = raid1, rebuild-rate = 0, members = [$(d 2 6), $(d 5 0)] }
  ]
  # The fill below is long past when blade 4 is killed, even in a quick run.
  access.resync-window = 10s
}
CONF
  java ${RACKSHARE_JAVA_OPTS:--XX:G1HeapRegionSize=8m} -cp "$cp" io.rackshare.node.RackshareCli node --config "$work/blade$slot/node.conf" \
    > "$work/blade$slot/node.log" 2>&1 &
  pids+=($!)
done
for slot in 1 2 3 4 5; do
  for _ in $(seq 600); do grep -q "RACKSHARE READY" "$work/blade$slot/node.log" && break; sleep 0.2; done
  grep -q "RACKSHARE READY" "$work/blade$slot/node.log" || { cat "$work/blade$slot/node.log"; exit 1; }
done
nbd=$(grep -o 'nbd=nbd://[^ ]*' "$work/blade1/node.log" | head -1 | cut -d= -f2)
mgmt=$(grep -o 'mgmt=http://[^ ]*' "$work/blade1/node.log" | head -1 | cut -d= -f2)
echo "client blade 1: $nbd  management $mgmt" >&2

range=$((DISK_MIB))M
for v in span r1p r1b r5 rb rbl rr; do
  fio --name=fill --ioengine=nbd --uri="$nbd$v" --rw=write --bs=1M --iodepth=8 --size=$range --output-format=json > /dev/null
done

jobs=(
  "seq-write-1M|span r1b r5|--rw=write --bs=1M --iodepth=8"
  "rand-write-4k-qd1|span r1b r5|--rw=randwrite --bs=4k --iodepth=1"
  "rand-write-4k-qd32|span r1b r5|--rw=randwrite --bs=4k --iodepth=32"
  "seq-read-1M|span r1p r1b r5|--rw=read --bs=1M --iodepth=8"
  "rand-read-4k-qd32|span r1p r1b r5|--rw=randread --bs=4k --iodepth=32"
)
results="$work/results.tsv"
: > "$results"
parse() {
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
j = json.loads(text[text.index("{"):])["jobs"][0]
d = j["read"] if j["read"]["io_bytes"] > 0 else j["write"]
p = d["clat_ns"].get("percentile", {})
print("\t".join([sys.argv[2], sys.argv[3], "%.1f" % (d["bw"] / 1024.0), "%.0f" % d["iops"],
                 "%.0f" % (p.get("50.000000", 0) / 1000.0), "%.0f" % (p.get("99.000000", 0) / 1000.0)]))
PY
}
for round in $(seq "$ROUNDS"); do
  for job in "${jobs[@]}"; do
    IFS='|' read -r name vols args <<< "$job"
    for v in $vols; do
      echo "round $round: $name on $v" >&2
      # shellcheck disable=SC2086
      fio --name="$name" --ioengine=nbd --uri="$nbd$v" $args --size=$range --time_based \
        --runtime="$RUNTIME" --ramp_time="$RAMP" --output-format=json > "$work/fio.json"
      parse "$work/fio.json" "$v" "$name" >> "$results"
    done
  done
done

# Rebuilds: fail a member with the operator command; its hot spare is rebuilt (rebuild-rate = 0).
member_state() {  # volume position -> state
  curl -s "$mgmt/status" | python3 -c "import json,sys; s=json.load(sys.stdin); v=[v for v in s['volumes'] if v['name']=='$1'][0]; print(v['members'][$2]['state'], v['health'])"
}
rebuild() {  # volume device -> seconds
  local start end
  start=$(date +%s.%N)
  curl -s -X POST -H "Authorization: Bearer $(head -1 "$work/blade1/operator-token")" "$mgmt/volumes/$1/fail?device=$(python3 -c "import urllib.parse; print(urllib.parse.quote('$2'))")" > /dev/null
  for _ in $(seq 6000); do
    [[ "$(member_state "$1" 0)" == "ACTIVE OPTIMAL" ]] && break
    sleep 0.1
  done
  end=$(date +%s.%N)
  python3 -c "print('%.2f' % ($end - $start))"
}
echo "rebuild without load" >&2
quiet=$(rebuild rb "Rack(1)/Chassis(1)/Blade(2)/Disk(1)")
echo "rebuild under a 4 KiB QD8 random read/write load on the same volume" >&2
fio --name=load --ioengine=nbd --uri="${nbd}rbl" --rw=randrw --bs=4k --iodepth=8 --size=$range --time_based \
  --runtime=600 --output-format=json > "$work/load.json" &
fiopid=$!
sleep 3
loaded=$(rebuild rbl "Rack(1)/Chassis(1)/Blade(2)/Disk(2)")
kill -INT $fiopid 2>/dev/null || true
wait $fiopid 2>/dev/null || true
loadiops=$(python3 -c "
import json; t=open('$work/load.json').read(); j=json.loads(t[t.index('{'):])['jobs'][0]
print('%.0f' % (j['read']['iops'] + j['write']['iops']))" 2>/dev/null || echo "?")

# Resync: kill blade 5 (SIGKILL), write to 16 MiB of rr while it is away, start it again.
echo "resync of a returning copy" >&2
sleep 10  # past resync-window since the last write to rr (the fill)
kill -9 "${pids[4]}"
for _ in $(seq 1200); do [[ "$(member_state rr 1)" == FAILED* ]] && break; sleep 0.1; done
fio --name=away --ioengine=nbd --uri="${nbd}rr" --rw=randwrite --bs=64k --iodepth=8 --size=16M \
  --output-format=json > /dev/null
mv "$work/blade5/node.log" "$work/blade5/node-1.log"
java ${RACKSHARE_JAVA_OPTS:--XX:G1HeapRegionSize=8m} -cp "$cp" io.rackshare.node.RackshareCli node --config "$work/blade5/node.conf" \
  > "$work/blade5/node.log" 2>&1 &
pids+=($!)
for _ in $(seq 1200); do grep -q "RACKSHARE READY" "$work/blade5/node.log" && break; sleep 0.1; done
start=$(date +%s.%N)
for _ in $(seq 6000); do [[ "$(member_state rr 1)" == "ACTIVE OPTIMAL" ]] && break; sleep 0.1; done
end=$(date +%s.%N)
resync=$(python3 -c "print('%.2f' % ($end - $start))")
resynced=$(grep -o "of 'rr': [0-9]* of" "$work/blade5/node.log" | head -1 | grep -o "[0-9]*" || echo "?")
# What the Rebuilders themselves took (copying only): the spare of rb on blade 4, rr on blade 5.
copy_ms() { grep -o "rebuilt .* of '$2': [0-9]* KiB in [0-9]* ms" "$1" | head -1 | grep -o "[0-9]* ms" | grep -o "[0-9]*" || echo 0; }
whole_ms=$(copy_ms "$work/blade4/node.log" rb)
resync_ms=$(copy_ms "$work/blade5/node.log" rr)

python3 - "$results" "$OUT" "$ROUNDS" "$RUNTIME" "$DISK_MIB" "$quiet" "$loaded" "$loadiops" "$resync" "$resynced" "$whole_ms" "$resync_ms" <<'PY'
import sys, statistics, collections, datetime, platform, os
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    vol, job, mib, iops, p50, p99 = line.rstrip("\n").split("\t")
    rows[(job, vol)].append((float(mib), float(iops), float(p50), float(p99)))
med = lambda job, vol, i: statistics.median(r[i] for r in rows[(job, vol)])
jobs = list(dict.fromkeys(job for job, _ in rows))
names = {"span": "span", "r1p": "raid1 primary", "r1b": "raid1 balanced", "r5": "raid5"}
out = ["| job | volume | MiB/s | IOPS | p50 / p99 us | vs span |", "|---|---|---|---|---|---|"]
for job in jobs:
    base = med(job, "span", 1) if (job, "span") in rows else None
    for vol in ["span", "r1p", "r1b", "r5"]:
        if (job, vol) not in rows:
            continue
        m = [med(job, vol, i) for i in range(4)]
        out.append("| %s | %s | %.0f | %.0f | %.0f / %.0f | %s |" % (job, names[vol], m[0], m[1], m[2], m[3],
            "%.2f" % (m[1] / base) if base else "-"))
disk = int(sys.argv[5])
quiet, loaded = float(sys.argv[6]), float(sys.argv[7])
resync, resynced = float(sys.argv[9]), sys.argv[10]
whole_ms, resync_ms = int(sys.argv[11]), int(sys.argv[12])
copied = int(resynced) // 1024 if resynced.isdigit() else -1
out += ["", "| a %d MiB raid1 member (rebuild-rate = 0) | copied | seconds, end to end | of which copying | MiB/s copied |" % disk,
        "|---|---|---|---|---|",
        "| hot spare after a failure, no foreground load (reference) | %d MiB | %.1f | %.2f | %.0f |" % (
            disk, quiet, whole_ms / 1000, disk / max(whole_ms / 1000, 1e-3)),
        "| hot spare, under 4 KiB QD8 random read/write (%s IOPS during it) | %d MiB | %.1f | - | %.0f |" % (
            sys.argv[8], disk, loaded, disk / loaded),
        "| killed copy's blade back after 64 KiB random writes to 16 MiB of the volume | %d MiB | %.2f | %.2f | %.0f |" % (
            copied, resync, resync_ms / 1000, copied / max(resync_ms / 1000, 1e-3))]
out += ["", "Copying time of the returning copy vs the whole rebuild: %.2f." % (resync_ms / max(whole_ms, 1))]
table = "\n".join(out)
path = sys.argv[2]
text = open(path).read() if os.path.exists(path) else ""
start, end = "<!-- raid:start -->", "<!-- raid:end -->"
block = "%s\nMedians of %s rounds of %s s per job (fio nbd engine through blade 1, %d MiB range, members on blades 2-5), %s, %s cores; measured %s.\n\n%s\n%s" % (
    start, sys.argv[3], sys.argv[4], disk, platform.machine(), os.cpu_count(), datetime.date.today(), table, end)
if start in text and end in text:
    text = text[: text.index(start)] + block + text[text.index(end) + len(end):]
else:
    text += ("\n" if text else "") + block + "\n"
open(path, "w").write(text)
print(table)
PY
