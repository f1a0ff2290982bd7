package io.rackshare.access;

import io.rackshare.map.DevicePath;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * The writes a target has admitted and not yet stored, by device and map epoch. A rebuild or a
 * move copies a member under a newer epoch than the writes that were admitted before it started:
 * those writes do not go to the copy's target, so the copy must read their range only once they
 * are stored. A copy's read of a device therefore waits for the device's writes of older epochs
 * ({@link #olderDone}); writes of its own epoch know of the copy and reach its target themselves.
 *
 * <p>Threads: any (lane readers admit and store writes, I/O threads finish them). The lock is held
 * for a map update only; waiting reads resume on the thread that ended the last older write.
 */
final class WritesInFlight {
  private static final CompletableFuture<Void> NONE = CompletableFuture.completedFuture(null);

  private record Waiter(DevicePath device, long epoch, CompletableFuture<Void> done) {}

  private final Map<DevicePath, TreeMap<Long, Integer>> counts = new HashMap<>();
  private final List<Waiter> waiters = new ArrayList<>();

  /** A write of {@code device} under {@code epoch} was admitted. */
  synchronized void begin(DevicePath device, long epoch) {
    counts.computeIfAbsent(device, d -> new TreeMap<>()).merge(epoch, 1, Integer::sum);
  }

  /** A write {@link #begin begun} so is stored (or failed). */
  void end(DevicePath device, long epoch) {
    List<CompletableFuture<Void>> ready = new ArrayList<>();
    synchronized (this) {
      TreeMap<Long, Integer> m = counts.get(device);
      if (m != null) {
        m.computeIfPresent(epoch, (e, n) -> n == 1 ? null : n - 1);
        if (m.isEmpty()) counts.remove(device);
      }
      for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
        Waiter w = it.next();
        if (w.device().equals(device) && !older(device, w.epoch())) {
          ready.add(w.done());
          it.remove();
        }
      }
    }
    ready.forEach(f -> f.complete(null));
  }

  /** Completes once no write of {@code device} admitted under an epoch before {@code epoch} is in flight. */
  synchronized CompletableFuture<Void> olderDone(DevicePath device, long epoch) {
    if (!older(device, epoch)) return NONE;
    Waiter w = new Waiter(device, epoch, new CompletableFuture<>());
    waiters.add(w);
    return w.done();
  }

  /** Writes in flight now, for tests. */
  synchronized int inFlight(DevicePath device) {
    TreeMap<Long, Integer> m = counts.get(device);
    return m == null ? 0 : m.values().stream().mapToInt(Integer::intValue).sum();
  }

  private boolean older(DevicePath device, long epoch) {
    TreeMap<Long, Integer> m = counts.get(device);
    return m != null && !m.headMap(epoch).isEmpty();
  }
}
