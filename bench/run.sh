#!/usr/bin/env bash
# Rackshare vs nbdkit-file, side by side in one run on one machine, with the same fio jobs
# (nbd engine). Writes a markdown table of medians to docs/benchmarks.md (or $OUT).
#
#   bench/run.sh                 # 3 rounds of 10 s per job
#   ROUNDS=1 RUNTIME=3 bench/run.sh
#   JOBS='^seq' OUT=/tmp/b.md bench/run.sh   # only the jobs whose name matches, table elsewhere
#   TLS=0 bench/run.sh           # without the TLS rows
#   RAID1=0 bench/run.sh         # without the raid1 rows
#   RAM=0 bench/run.sh           # without the memory rows
#   PROFILE=1 bench/run.sh       # also the servers' CPU time and context switches per request
#                                # (perf stat over every thread of nbdkit, of the three blades)
#
# The raid1 rows (RAID1=1, the default) read and write a two-copy raid1 volume of the same size as
# nbdkit's file (copies on blades 1 and 2, read-policy = balanced) through blade 1, which holds a
# copy, and through blade 3, which holds none.
#
# The memory rows (RAM=1, the default; with RAID1=1 for the disk raid1 they are set against) read
# and write a two-copy raid1 of blades 1 and 2's shared memory (rackshare.blade.memory, off-heap,
# of the same size), through blade 1, and nbdkit's memory plugin of that size.
#
# The TLS rows (TLS=1, the default) run a few jobs, in the same rounds, against: nbdkit plain and
# over TLS (nbds://, GnuTLS), Rackshare's NBD plain and over TLS (the same blade; its lanes on Unix
# sockets), and two more 3-blade clusters whose lanes run over TCP (as between hosts), plain and
# under TLS, fio plain: what TLS costs on the NBD front and on the data lane.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROUNDS=${ROUNDS:-3}
RUNTIME=${RUNTIME:-10}
RAMP=${RAMP:-2}
DISK_MIB=${DISK_MIB:-384}           # per blade; nbdkit serves a file of 3x this size
OUT=${OUT:-$here/docs/benchmarks.md}
JOBS=${JOBS:-.}
TLS=${TLS:-1}
RAID1=${RAID1:-1}
RAM=${RAM:-1}
PROFILE=${PROFILE:-0}
TLS_JOBS=${TLS_JOBS:-'^(seq-read-1M|seq-write-1M|rand-read-4k-qd32)$'}
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
if [[ $RAM == 1 ]]; then
  kmport=$(free_port)
  nbdkit -f -p "$kmport" -i 127.0.0.1 memory size=${total_mib}M &
  pids+=($!)
fi

# (b) three Rackshare blades, one spanned volume; sets ready_uri to blade 1's export of it. $1
# names the cluster, $2 is more HOCON for its blades (its lanes), $3 (optional) a raid1 volume's
# name to add: its copies on a second disk of blades 1 and 2, of nbdkit's file's size; $4
# (optional) a raid1 volume's name to add on blades 1 and 2's shared memory, of that size too.
start_cluster() {
  local name=$1 extra=$2 mirror=${3:-} ram=${4:-} seed slot oob dir disks volumes memory
  seed=$(free_port)
  for slot in 1 2 3; do
    oob=$([[ $slot == 1 ]] && echo "$seed" || free_port)
    dir="$work/$name/blade$slot"
    mkdir -p "$dir"
    # Each blade's certificate of the bench cluster's CA (the OOB channel runs mutual TLS).
    java -cp "$cp" io.rackshare.node.RackshareCli certs --dir "$work/ca" --blade "$name-blade$slot" \
      --address 127.0.0.1 > /dev/null
    disks="{ file = disk0.img, size = ${DISK_MIB}MiB }"
    volumes="{ name = bench, members = [\"Rack(1)/Chassis(1)/Blade(1)/Disk(0)\",
      \"Rack(1)/Chassis(1)/Blade(2)/Disk(0)\", \"Rack(1)/Chassis(1)/Blade(3)/Disk(0)\"] }"
    memory=""
    if [[ -n $ram ]]; then
      [[ $slot != 3 ]] && memory="{ size = ${total_mib}MiB }"
      volumes="$volumes, { name = $ram, layout = raid1, read-policy = balanced,
        members = [\"Rack(1)/Chassis(1)/Blade(1)/Memory(0)\", \"Rack(1)/Chassis(1)/Blade(2)/Memory(0)\"] }"
    fi
    if [[ -n $mirror ]]; then
      [[ $slot != 3 ]] && disks="$disks, { file = disk1.img, size = ${total_mib}MiB }"
      volumes="$volumes, { name = $mirror, layout = raid1, read-policy = balanced,
        members = [\"Rack(1)/Chassis(1)/Blade(1)/Disk(1)\", \"Rack(1)/Chassis(1)/Blade(2)/Disk(1)\"] }"
    fi
    cat > "$dir/node.conf" <<CONF
rackshare {
  tls.dir = "$work/ca/$name-blade$slot"
  blade { slot = $slot, data-dir = "$dir", disks = [$disks], memory = [$memory] }
  oob { hostname = "127.0.0.1", port = $oob }
  seed-nodes = ["127.0.0.1:$seed"]
  nbd.port = 0
  management.port = 0
  volumes = [$volumes]
  $extra
}
CONF
    java ${RACKSHARE_JAVA_OPTS:--XX:G1HeapRegionSize=8m} -cp "$cp" io.rackshare.node.RackshareCli node \
      --config "$dir/node.conf" > "$dir/node.log" 2>&1 &
    pids+=($!)
  done
  for slot in 1 2 3; do
    dir="$work/$name/blade$slot"
    for _ in $(seq 600); do grep -q "RACKSHARE READY" "$dir/node.log" && break; sleep 0.2; done
    grep -q "RACKSHARE READY" "$dir/node.log" || { cat "$dir/node.log" >&2; exit 1; }
  done
  ready_uri=$(grep -o 'nbd=nbd://[^ ]*' "$work/$name/blade1/node.log" | head -1 | cut -d= -f2)bench
}
# The NBD URI of blade $2's export $3 in cluster $1.
export_uri() { echo "$(grep -o 'nbd=nbd://[^ ]*' "$work/$1/blade$2/node.log" | head -1 | cut -d= -f2)$3"; }
start_cluster rackshare "" "$([[ $RAID1 == 1 ]] && echo mirror)" "$([[ $RAM == 1 ]] && echo rammirror)"
ruri=$ready_uri
# Which processes serve each server's requests (PROFILE=1 counts their CPU and context switches).
first_blade=$([[ $RAM == 1 ]] && echo 2 || echo 1)
blades="${pids[$first_blade]},${pids[$((first_blade + 1))]},${pids[$((first_blade + 2))]}"
declare -A serving=([nbdkit]=${pids[0]} [rackshare]=$blades [raid1-copy]=$blades [raid1-nocopy]=$blades
  [ram-copy]=$blades)
if [[ $PROFILE == 1 ]]; then command -v perf >/dev/null || { echo "bench: PROFILE=1 needs perf (linux-perf)" >&2; exit 2; }; fi
kuri="nbd://127.0.0.1:$kport/"
echo "nbdkit: $kuri   rackshare (through blade 1): $ruri" >&2
declare -A uris=([nbdkit]="$kuri" [rackshare]="$ruri")
servers=(nbdkit rackshare)
if [[ $RAID1 == 1 ]]; then
  uris[raid1-copy]=$(export_uri rackshare 1 mirror)
  uris[raid1-nocopy]=$(export_uri rackshare 3 mirror)
  servers+=(raid1-copy raid1-nocopy)
fi
if [[ $RAM == 1 ]]; then
  serving[nbdkit-memory]=${pids[1]}
  uris[nbdkit-memory]="nbd://127.0.0.1:$kmport/"
  uris[ram-copy]=$(export_uri rackshare 1 rammirror)
  servers+=(nbdkit-memory ram-copy)
fi
tls_servers=()
if [[ $TLS == 1 ]]; then
  # nbdkit over TLS on the same file (GnuTLS wants ca-cert.pem, server-cert.pem, server-key.pem).
  # fio's libnbd may not read a certificate directory named in a URI (local file access), so the
  # clients skip checking the servers' certificates: the cost measured is the encryption's.
  java -cp "$cp" io.rackshare.node.RackshareCli certs --dir "$work/ca" --blade nbdkit --address 127.0.0.1 > /dev/null
  mkdir -p "$work/nbdkit-tls"
  cp "$work/ca/nbdkit/ca.crt" "$work/nbdkit-tls/ca-cert.pem"
  cp "$work/ca/nbdkit/tls.crt" "$work/nbdkit-tls/server-cert.pem"
  cp "$work/ca/nbdkit/tls.key" "$work/nbdkit-tls/server-key.pem"
  ktport=$(free_port)
  nbdkit -f -p "$ktport" -i 127.0.0.1 --tls=require --tls-certificates="$work/nbdkit-tls" file "$work/nbdkit.img" &
  pids+=($!)
  q="tls-verify-peer=false"
  uris[nbdkit-tls]="nbds://127.0.0.1:$ktport/?$q"
  # The same blade as "rackshare", its NBD over TLS (rackshare.nbd.tls.mode = auto offers it).
  uris[rackshare-nbd-tls]="$(echo "$ruri" | sed 's|^nbd://|nbds://|')?$q"
  start_cluster lane-tcp "oob { data-lane-unix = off, data-lane-tls = off }"
  uris[lane-tcp]=$ready_uri
  start_cluster lane-tcp-tls "oob { data-lane-unix = off, data-lane-tls = on }"
  uris[lane-tcp-tls]=$ready_uri
  tls_servers=(nbdkit nbdkit-tls rackshare rackshare-nbd-tls lane-tcp lane-tcp-tls)
fi

# Fill every volume so reads hit written data (nbdkit's TLS server shares nbdkit's file).
for uri in "$kuri" "$ruri" ${uris[raid1-copy]:-} ${uris[lane-tcp]:-} ${uris[lane-tcp-tls]:-} ${uris[nbdkit-memory]:-} \
    ${uris[ram-copy]:-}; do
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
    run=("${servers[@]}")
    # shellcheck disable=SC2206
    [[ ${#tls_servers[@]} -gt 0 && $name =~ $TLS_JOBS ]] && run=(${tls_servers[@]} ${servers[@]:2})
    for server in "${run[@]}"; do
      uri=${uris[$server]}
      echo "round $round: $name on $server" >&2
      rm -f "$work/perf.csv"
      perf_pid=
      if [[ $PROFILE == 1 && -n ${serving[$server]:-} ]]; then
        # The measured part only: after fio's ramp, for its runtime.
        (sleep "$RAMP"; perf stat -x, -e task-clock,context-switches -p "${serving[$server]}" -o "$work/perf.csv" \
          -- sleep "$RUNTIME") &
        perf_pid=$!
      fi
      # shellcheck disable=SC2086
      fio --name="$name" --ioengine=nbd --uri="$uri" $args --size=1G --time_based \
        --runtime="$RUNTIME" --ramp_time="$RAMP" --output-format=json > "$work/fio.json"
      [[ -n $perf_pid ]] && wait "$perf_pid"
      python3 - "$work/fio.json" "$server" "$name" "$work/perf.csv" "$RUNTIME" >> "$results" <<'PY'
import json, os, sys
text = open(sys.argv[1]).read()
j = json.loads(text[text.index("{"):])["jobs"][0]  # fio's nbd engine prints a line before the JSON
d = j["read"] if j["read"]["io_bytes"] > 0 else j["write"]
p = d["clat_ns"].get("percentile", {})
cpu = switches = "-"
if os.path.exists(sys.argv[4]):
    # perf stat -x,: value,unit,event,...; task-clock in ms; per request = over iops x runtime.
    ios = d["iops"] * float(sys.argv[5])
    for line in open(sys.argv[4]):
        f = line.split(",")
        if len(f) > 2 and f[0].replace(".", "", 1).isdigit() and ios > 0:
            if f[2].startswith("task-clock"):
                cpu = "%.1f" % (float(f[0]) * 1000.0 / ios)
            elif f[2].startswith("context-switches"):
                switches = "%.2f" % (float(f[0]) / ios)
print("\t".join([sys.argv[2], sys.argv[3], "%.1f" % (d["bw"] / 1024.0), "%.0f" % d["iops"],
                 "%.0f" % (p.get("50.000000", 0) / 1000.0), "%.0f" % (p.get("99.000000", 0) / 1000.0), cpu, switches]))
PY
    done
  done
done

python3 - "$results" "$OUT" "$ROUNDS" "$RUNTIME" "$DISK_MIB" <<'PY'
import sys, statistics, collections, datetime, platform, os
rows = collections.defaultdict(list)
profile = collections.defaultdict(list)
for line in open(sys.argv[1]):
    server, job, mib, iops, p50, p99, cpu, switches = line.rstrip("\n").split("\t")
    rows[(job, server)].append((float(mib), float(iops), float(p50), float(p99)))
    if cpu != "-":
        profile[(job, server)].append((float(cpu), float(switches)))
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
def splice(text, marker, title, lines):
    """Replaces the table between <!-- marker:start --> and <!-- marker:end --> (or adds a section)."""
    start, end = "<!-- %s:start -->" % marker, "<!-- %s:end -->" % marker
    block = "%s\nMedians of %s interleaved rounds of %s s per job, the same run as the table above; measured %s.\n\n%s\n%s" % (
        start, sys.argv[3], sys.argv[4], datetime.date.today(), "\n".join(lines), end)
    if start in text and end in text:
        return text[: text.index(start)] + block + text[text.index(end) + len(end):]
    return text + "\n## %s\n\n" % title + block + "\n"
if any(server == "nbdkit-tls" for _, server in rows):
    tls = ["| job (unit) | nbdkit | nbdkit TLS | ratio | rackshare NBD | its NBD over TLS | ratio | rackshare, TCP lanes | TCP lanes under TLS | ratio |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for job in jobs:
        if not rows[(job, "nbdkit-tls")]:
            continue
        i, unit = (0, "MiB/s") if job.startswith("seq") else (1, "IOPS")
        v = {server: med(job, server, i) for server in
             ("nbdkit", "nbdkit-tls", "rackshare", "rackshare-nbd-tls", "lane-tcp", "lane-tcp-tls")}
        r = lambda a, b: "%.2f" % (v[a] / v[b]) if v[b] else "-"
        tls.append("| %s (%s) | %.0f | %.0f | %s | %.0f | %.0f | %s | %.0f | %.0f | %s |" % (
            job, unit, v["nbdkit"], v["nbdkit-tls"], r("nbdkit-tls", "nbdkit"), v["rackshare"], v["rackshare-nbd-tls"],
            r("rackshare-nbd-tls", "rackshare"), v["lane-tcp"], v["lane-tcp-tls"], r("lane-tcp-tls", "lane-tcp")))
    text = splice(text, "tls", "TLS", tls)
    print("\n".join(tls))
if any(server == "raid1-copy" for _, server in rows):
    r1 = ["| job | nbdkit | raid1 through a blade with a copy | ratio | p50 ratio | through a blade without | ratio | p50 ratio |",
          "|---|---|---|---|---|---|---|---|"]
    for job in jobs:
        if not rows[(job, "raid1-copy")]:
            continue
        i, unit = (0, "MiB/s") if job.startswith("seq") else (1, "IOPS")
        k, c, n = (med(job, s_, i) for s_ in ("nbdkit", "raid1-copy", "raid1-nocopy"))
        kp, cp_, np_ = (med(job, s_, 2) for s_ in ("nbdkit", "raid1-copy", "raid1-nocopy"))
        f = lambda a, b: "%.2f" % (a / b) if b else "-"
        r1.append("| %s | %.0f %s | %.0f | %s | %s | %.0f | %s | %s |" % (
            job, k, unit, c, f(c, k), f(cp_, kp), n, f(n, k), f(np_, kp)))
    text = splice(text, "raid1", "RAID-1", r1)
    print("\n".join(r1))
if any(server == "ram-copy" for _, server in rows):
    ram = ["| job | nbdkit memory | raid1 of two blades' memory | ratio | p50 ratio | raid1 of two disks | memory / disk |",
           "|---|---|---|---|---|---|---|"]
    for job in jobs:
        if not rows[(job, "ram-copy")]:
            continue
        i, unit = (0, "MiB/s") if job.startswith("seq") else (1, "IOPS")
        k, m = med(job, "nbdkit-memory", i), med(job, "ram-copy", i)
        d = med(job, "raid1-copy", i) if rows[(job, "raid1-copy")] else 0
        f = lambda a, b: "%.2f" % (a / b) if b else "-"
        ram.append("| %s | %.0f %s | %.0f | %s | %s | %s | %s |" % (job, k, unit, m, f(m, k),
            f(med(job, "ram-copy", 2), med(job, "nbdkit-memory", 2)), "%.0f" % d if d else "-", f(m, d)))
    text = splice(text, "ram", "Memory (RAM) volumes", ram)
    print("\n".join(ram))
if profile:
    pr = ["| job | server | CPU per request (us, all its threads) | context switches per request | p50 us |",
          "|---|---|---|---|---|"]
    for job in jobs:
        for server in ("nbdkit", "rackshare", "raid1-copy", "raid1-nocopy"):
            if profile[(job, server)]:
                pr.append("| %s | %s | %.1f | %.2f | %.0f |" % (job, server,
                    statistics.median(x[0] for x in profile[(job, server)]),
                    statistics.median(x[1] for x in profile[(job, server)]), med(job, server, 2)))
    text = splice(text, "profile", "Per request: CPU and context switches", pr)
    print("\n".join(pr))
open(path, "w").write(text)
print(table)
PY
