#!/bin/sh
# /init of the Rackshare guest (busybox sh; written into the initramfs by GuestImage).
# The kernel command line drives it:
#   rackshare.vm=first   make a filesystem on the root disk, write files and their sha256 sums,
#                        swap on the swap disk and push pages through it, (rackshare.cd=1) check
#                        the CD, then write, sync, drop caches and read back for
#                        rackshare.io=SECONDS, check dmesg
#   rackshare.vm=verify  mount the root disk and check every sum, swap on, (rackshare.cd=1) check
#                        the CD, check dmesg
# Disks are found by their virtio serial numbers: root, swap, cd0. Every result is a line
# "RACKSHARE-VM: ..." on the serial console; the guest powers off at the end.
export PATH=/bin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

say() { echo "RACKSHARE-VM: $*"; }
bye() { say "powering off"; sync; poweroff -f; }
fail() { say "FAILED: $*"; bye; }
arg() {
  for w in $(cat /proc/cmdline); do
    case "$w" in "rackshare.$1="*) echo "${w#*=}"; return;; esac
  done
  echo "$2"
}
uptime_s() { cut -d. -f1 /proc/uptime; }

while read -r m; do
  case "$m" in *.xz) unxz "$m" || fail "unxz $m"; m="${m%.xz}";; esac
  insmod "$m" || fail "insmod $m"
done < /lib/modules/load

# The disk whose virtio serial is $1 (the drivers probe while loading; a few seconds at most).
disk() {
  t=0
  while [ $t -lt 50 ]; do
    for s in /sys/block/*/serial; do
      [ -r "$s" ] && [ "$(cat "$s")" = "$1" ] && { d="${s%/serial}"; echo "/dev/${d##*/}"; return 0; }
    done
    usleep 100000; t=$((t + 1))
  done
  return 1
}

# Every kernel message that means a request or the filesystem failed.
dmesg_check() {
  errs="$(dmesg | grep -E 'I/O error|blk_update_request|Buffer I/O|EXT[0-9]-fs (error|warning)|EXT[0-9]-fs .*error|critical (medium|target) error|Remounting filesystem read-only')"
  if [ -z "$errs" ]; then
    say "dmesg clean"
  else
    say "dmesg errors: $(echo "$errs" | wc -l)"
    echo "$errs" | head -20 | while read -r l; do say "dmesg: $l"; done
  fi
}

mode="$(arg vm first)"
files="$(arg files 8)"
say "guest up, mode $mode, kernel $(uname -r), $(uptime_s) s after boot"
root="$(disk root)" || fail "no root disk (virtio serial root)"
mkdir -p /mnt /cd

case "$mode" in
first)
  mke2fs -q -F "$root" >/dev/null || fail "mke2fs $root"
  mount -t ext2 "$root" /mnt || fail "mount $root"
  cd /mnt || fail "cd /mnt"
  i=0
  while [ $i -lt "$files" ]; do
    dd if=/dev/urandom of=f$i bs=64k count=4 2>/dev/null || fail "writing f$i"
    i=$((i + 1))
  done
  sha256sum f* > SUMS || fail "sha256sum"
  sync
  say "files written $files"
  ;;
verify)
  mount -t ext2 "$root" /mnt || fail "mount $root"
  cd /mnt || fail "cd /mnt"
  ;;
*)
  fail "unknown mode $mode"
  ;;
esac

if swap="$(disk swap)"; then
  mkswap "$swap" >/dev/null || fail "mkswap $swap"
  swapon "$swap" || fail "swapon $swap"
  say "swap on $(grep "^$swap " /proc/swaps | awk '{print $1, $3 " KiB"}')"
fi
if [ -n "$swap" ] && [ "$mode" = first ]; then
  # Use it: more data in a tmpfs than the memory the guest has free, so pages go to the swap
  # disk and come back; their sum must not change.
  mkdir -p /t && mount -t tmpfs -o size=120m tmpfs /t || fail "tmpfs"
  # In steps of 2 MiB, swapping early: one large write into a nearly full memory can outrun a
  # slow swap device's writeback and wake the OOM killer (seen on a loaded host).
  echo 100 > /proc/sys/vm/swappiness
  mib=$(($(awk '/MemAvailable/ {print $2}' /proc/meminfo) / 1024 + 8))
  at=0
  while [ $at -lt $mib ]; do
    dd if=/dev/urandom of=/t/big bs=1M seek=$at count=2 conv=notrunc 2>/dev/null || fail "tmpfs write at $at MiB"
    at=$((at + 2))
  done
  want="$(sha256sum < /t/big)"
  used=$(awk '/SwapTotal/ {t = $2} /SwapFree/ {f = $2} END {print t - f}' /proc/meminfo)
  if [ "$(sha256sum < /t/big)" = "$want" ]; then say "swap used $used KiB, $mib MiB read back"; else say "FAILED: swapped pages changed"; fi
  rm /t/big
  umount /t
fi

if [ "$(arg cd 0)" = 1 ]; then
  cd0="$(disk cd0)" || fail "no CD (virtio serial cd0)"
  mount -t iso9660 -o ro "$cd0" /cd || fail "mount $cd0"
  if (cd /cd && sha256sum -c SUMS >/tmp/cd.out 2>&1); then
    say "cd verified $(grep -c ': OK$' /tmp/cd.out)"
  else
    say "cd failed: $(grep -v ': OK$' /tmp/cd.out | head -3 | tr '\n' ' ')"
  fi
  umount /cd
fi

if [ "$mode" = first ]; then
  # Real I/O for a while, so that a blade can be killed under it: write a MiB, sync, drop the
  # page cache, read it back from the disk and compare; check the first files as well.
  seconds="$(arg io 20)"
  end=$(($(uptime_s) + seconds))
  n=0
  say "io started for $seconds s"
  while [ "$(uptime_s)" -lt $end ]; do
    w=w$((n % 4))
    dd if=/dev/urandom of=$w bs=64k count=16 2>/dev/null || say "io write failed round $n"
    want="$(sha256sum < $w)"
    sync
    echo 3 > /proc/sys/vm/drop_caches
    [ "$(sha256sum < $w)" = "$want" ] || say "io mismatch round $n"
    sha256sum -c SUMS >/dev/null 2>&1 || say "io files changed round $n"
    n=$((n + 1))
    say "io round $n"
  done
  sha256sum w* > LOOPSUMS
  sync
  say "io done rounds $n"
else
  if sha256sum -c SUMS LOOPSUMS >/tmp/sums.out 2>&1; then
    say "files verified $(grep -c ': OK$' /tmp/sums.out)"
  else
    say "files failed: $(grep -v ': OK$' /tmp/sums.out | head -3 | tr '\n' ' ')"
  fi
fi

cd /
umount /mnt || say "umount /mnt failed"
[ -n "$swap" ] && swapoff "$swap"
dmesg_check
bye
