#!/usr/bin/env bash
# Copying a mostly empty volume: a 1 GiB RAID-1 volume over blades 1 and 2 holding 32 MiB of data
# in four places, copied through blade 3 (which holds no member), against nbdkit's file plugin on
# a sparse 1 GiB file with the same data, side by side in one run. nbdcopy with block status
# (base:allocation: it reads only the data) and with --no-extents (it reads every byte, as every
# client had to before Rackshare answered block status), and qemu-img convert to a raw file.
# Writes a table of medians into docs/benchmarks.md between <!-- holes:start --> and
# <!-- holes:end -->.
#
#   bench/holes.sh              # 3 rounds
#   ROUNDS=1 bench/holes.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROUNDS=${ROUNDS:-3}
OUT=${OUT:-$here/docs/benchmarks.md}
for tool in nbdkit nbdcopy qemu-img qemu-io; do
  command -v $tool >/dev/null || { echo "holes: needs $tool (apt-get install nbdkit libnbd-bin qemu-utils)" >&2; exit 2; }
done
jar="$here/cluster-config/target/rackshare-cluster-config-0.1.0-SNAPSHOT.jar"
[[ -f "$jar" ]] || (cd "$here" && mvn -B -q -DskipTests install)
cp="$jar:$here/cluster-config/target/lib/*"

work=$(mktemp -d /tmp/rackshare-holes-XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

seed=$(free_port)
for slot in 1 2 3; do
  oob=$([[ $slot == 1 ]] && echo "$seed" || free_port)
  dir="$work/blade$slot"
  mkdir -p "$dir"
  java -cp "$cp" io.rackshare.node.RackshareCli certs --dir "$work/ca" --blade "blade$slot" --address 127.0.0.1 > /dev/null
  disks=$([[ $slot == 3 ]] && echo "[]" || echo "[{ file = disk0.img, size = 1GiB }]")
  cat > "$dir/node.conf" <<CONF
rackshare {
  tls.dir = "$work/ca/blade$slot"
  blade { slot = $slot, data-dir = "$dir", disks = $disks }
  oob { hostname = "127.0.0.1", port = $oob }
  seed-nodes = ["127.0.0.1:$seed"]
  nbd.port = 0
  management.port = 0
  volumes = [{ name = mirror, layout = raid1, members = ["Rack(1)/Chassis(1)/Blade(1)/Disk(0)",
    "Rack(1)/Chassis(1)/Blade(2)/Disk(0)"] }]
}
CONF
  java -cp "$cp" io.rackshare.node.RackshareCli node --config "$dir/node.conf" > "$dir/node.log" 2>&1 &
  pids+=($!)
done
for slot in 1 2 3; do
  for _ in $(seq 600); do grep -q "RACKSHARE READY" "$work/blade$slot/node.log" && break; sleep 0.2; done
  grep -q "RACKSHARE READY" "$work/blade$slot/node.log" || { cat "$work/blade$slot/node.log" >&2; exit 1; }
done
ruri="$(grep -o 'nbd=nbd://[^ ]*' "$work/blade3/node.log" | head -1 | cut -d= -f2)mirror"
truncate -s 1G "$work/nbdkit.img"
kport=$(free_port)
nbdkit -f -p "$kport" -i 127.0.0.1 file "$work/nbdkit.img" &
pids+=($!)
kuri="nbd://127.0.0.1:$kport/"
for _ in $(seq 100); do nbdinfo --size "$kuri" >/dev/null 2>&1 && break; sleep 0.1; done

# The same 32 MiB of data in both: 8 MiB at 0, 100 MiB, 500 MiB and 1016 MiB.
for uri in "$kuri" "$ruri"; do
  qemu-io -f raw -c "write -P 0x11 0 8M" -c "write -P 0x22 100M 8M" -c "write -P 0x33 500M 8M" \
    -c "write -P 0x44 1016M 8M" "$uri" > /dev/null
done

results="$work/results.tsv"
: > "$results"
secs() { local t0 t1; t0=$(date +%s%N); "$@" > /dev/null; t1=$(date +%s%N); echo $(((t1 - t0) / 1000000)); }
for round in $(seq "$ROUNDS"); do
  for server in nbdkit rackshare; do
    uri=$([[ $server == nbdkit ]] && echo "$kuri" || echo "$ruri")
    echo "round $round: $server" >&2
    printf '%s\tnbdcopy\t%s\n' "$server" "$(secs nbdcopy "$uri" null:)" >> "$results"
    printf '%s\tnbdcopy --no-extents\t%s\n' "$server" "$(secs nbdcopy --no-extents "$uri" null:)" >> "$results"
    rm -f "$work/copy.img"
    printf '%s\tqemu-img convert\t%s\n' "$server" "$(secs qemu-img convert -f raw -O raw "$uri" "$work/copy.img")" >> "$results"
  done
done
# The copies are right: qemu-img's last copy of Rackshare's volume equals nbdkit's data.
qemu-img compare -f raw -F raw "$work/copy.img" "$work/nbdkit.img" > /dev/null \
  || { echo "holes: the copy differs from the data written" >&2; exit 1; }

table="$work/holes.md"
python3 - "$results" > "$table" <<'PY'
import sys, statistics, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    server, how, s = line.rstrip("\n").split("\t")
    rows[(how, server)].append(float(s) / 1000.0)
hows = list(dict.fromkeys(h for h, _ in rows))
print("| copy of the 1 GiB volume (32 MiB of data) | nbdkit-file | rackshare raid1, via a blade without a copy | ratio |")
print("|---|---|---|---|")
for h in hows:
    k = statistics.median(rows[(h, "nbdkit")])
    r = statistics.median(rows[(h, "rackshare")])
    print("| %s | %.2f s | %.2f s | %.2f |" % (h, k, r, r / k))
PY
cat "$table"
python3 "$here/bench/splice.py" holes "$OUT" "$table"
echo "holes: table written to $OUT"
