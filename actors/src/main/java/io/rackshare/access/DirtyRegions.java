package io.rackshare.access;

import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.map.Member;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * What a mirror copy that missed writes needs back: for each region of this blade's devices, the
 * map epoch it was last written at (md's write-intent bitmap, kept by the copies that stayed in
 * sync). A copy that failed at epoch F lacks at most the regions written at F or later, and the
 * writes that were under way when it failed: those are sent again under the new epoch once the
 * manager confirms the failure ({@link AccessPath}), and the regions written within {@code
 * window} before this blade saw the copy fail count as written at F, for a requester that stopped
 * before it could send again.
 *
 * <p>A blade answers for a failure only if it saw it happen (the copy went from written to FAILED
 * in two maps it installed one after the other) and its own copy was written ever since: after a
 * restart it knows nothing, and the copy is rebuilt whole. Everything is in memory.
 */
final class DirtyRegions {

  /**
   * A failure this blade saw: the member at {@code position} left the copies at {@code epoch},
   * while this blade's copy {@code mine} was in sync since {@code mineSince}.
   */
  private record Seen(String volume, int position, DevicePath device, long epoch, DevicePath mine, long mineSince) {}

  /** One device's regions: the last epoch written and the time of the last write. */
  private record Table(AtomicLongArray epochs, AtomicLongArray nanos) {}

  private final BladeId self;
  private final int shift;
  private final long windowNanos;
  private final Map<DevicePath, Table> tables = new HashMap<>();
  private final Set<Seen> seen = ConcurrentHashMap.newKeySet();

  /** For the devices of {@code self} of the given sizes in bytes. */
  DirtyRegions(BladeId self, Map<DevicePath, Long> sizes, long regionBytes, Duration window) {
    this.self = self;
    this.shift = Long.numberOfTrailingZeros(regionBytes);
    this.windowNanos = window.toNanos();
    sizes.forEach((d, size) -> {
      int n = (int) Math.min(Integer.MAX_VALUE - 8, (size + regionBytes - 1) >> shift);
      tables.put(d, new Table(new AtomicLongArray(n), new AtomicLongArray(n)));
    });
  }

  long regionBytes() {
    return 1L << shift;
  }

  /**
   * Bytes {@code [offset, offset + length)} of {@code device} are about to be written under
   * {@code epoch}. Called before the request's epoch is checked, so that a write checked against
   * an older map is counted before a newer map is installed.
   */
  void writing(DevicePath device, long offset, long length, long epoch) {
    Table t = tables.get(device);
    if (t == null || length <= 0 || offset < 0) return;
    long regions = t.epochs.length();
    long first = offset >> shift;
    if (first >= regions) return; // past the device: the target refuses it anyway
    // The range's last byte, where offset + length would pass 2^63 (a peer's bad request).
    long lastByte = length - 1 > Long.MAX_VALUE - offset ? Long.MAX_VALUE : offset + length - 1;
    int last = (int) Math.min(regions - 1, lastByte >> shift);
    long now = System.nanoTime();
    for (int r = (int) first; r <= last; r++) {
      raise(t.epochs, r, epoch);
      t.nanos.set(r, now);
    }
  }

  private static void raise(AtomicLongArray a, int i, long value) {
    long cur;
    while ((cur = a.get(i)) < value && !a.compareAndSet(i, cur, value)) {
      // another writer raced: look again
    }
  }

  /**
   * This blade installed {@code after} over {@code before}: notes the copies it saw fail and
   * forgets what it can no longer answer for.
   */
  void mapInstalled(GlobalResourceMap before, GlobalResourceMap after) {
    seen.removeIf(s -> !stillAnswerable(s, after.volumes().get(s.volume())));
    for (GlobalResourceDescriptor v : after.volumes().values()) {
      GlobalResourceDescriptor prev = before.volumes().get(v.name());
      if (prev == null || prev.members().size() != v.members().size()) continue;
      for (int mine = 0; mine < v.members().size(); mine++) {
        Member m = v.member(mine);
        Table t = m.blade().equals(self) ? tables.get(m.device()) : null;
        // Only a copy in sync in both maps, unchanged in between, saw every write.
        if (t == null || !m.readable() || !prev.member(mine).equals(m)) continue;
        for (int i = 0; i < v.members().size(); i++) {
          Member was = prev.member(i);
          Member now = v.member(i);
          if (now.state() != Member.State.FAILED || !was.writable() || !was.device().equals(now.device())
              || now.missedFrom() == 0) {
            continue;
          }
          Seen failure = new Seen(v.name(), i, now.device(), now.missedFrom(), m.device(), m.since());
          // A fresh failure starts what this blade can answer for; a copy that fails again while
          // it is resynchronised still misses from its first failure, which this blade can
          // answer for only if it saw that one.
          if (now.missedFrom() == now.since()) seen.add(failure);
          if (!seen.contains(failure)) continue;
          long cutoff = System.nanoTime() - windowNanos;
          for (int r = 0; r < t.epochs.length(); r++) {
            if (t.epochs.get(r) != 0 && t.nanos.get(r) - cutoff >= 0) raise(t.epochs, r, now.missedFrom());
          }
        }
      }
    }
  }

  /** Whether the failure is still the member's and this blade's copy stayed in sync since. */
  private static boolean stillAnswerable(Seen s, GlobalResourceDescriptor v) {
    if (v == null || s.position() >= v.members().size()) return false;
    Member m = v.member(s.position());
    if (!m.device().equals(s.device()) || m.missedFrom() != s.epoch()) return false;
    for (Member c : v.members()) {
      if (c.device().equals(s.mine())) return c.readable() && c.since() == s.mineSince();
    }
    return false;
  }

  /**
   * The byte ranges of {@code device} (this blade's copy of {@code volume}) written since
   * {@code epoch}, as {@code [start, end)} pairs in order; null if this blade did not see the
   * member at {@code position} ({@code failed}) fail at that epoch, so it cannot say.
   */
  List<long[]> writtenSince(String volume, int position, DevicePath failed, long epoch, DevicePath device) {
    Table t = tables.get(device);
    if (t == null || epoch <= 0) return null;
    boolean answerable = false;
    for (Seen s : seen) {
      answerable |= s.volume().equals(volume) && s.position() == position && s.device().equals(failed)
          && s.epoch() == epoch && s.mine().equals(device);
    }
    if (!answerable) return null;
    List<long[]> out = new ArrayList<>();
    long region = regionBytes();
    for (int r = 0; r < t.epochs.length(); r++) {
      if (t.epochs.get(r) < epoch) continue;
      long start = (long) r << shift;
      if (!out.isEmpty() && out.get(out.size() - 1)[1] == start) {
        out.get(out.size() - 1)[1] = start + region;
      } else {
        out.add(new long[] {start, start + region});
      }
    }
    return out;
  }
}
