package io.rackshare.access;

import io.rackshare.map.DevicePath;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Byte-range locks on this blade's devices, taken by a rebuild while it copies a range into the
 * member it rebuilds; client writes to a locked range wait until it is released. Without a rebuild
 * there are no locks and a write pays one volatile read.
 */
final class RangeLocks {

  /** A held lock. */
  record Held(DevicePath device, long offset, long end, CompletableFuture<Void> released) {
    boolean overlaps(DevicePath d, long from, long to) {
      return device.equals(d) && from < end && offset < to;
    }
  }

  private final List<Held> held = new ArrayList<>();
  private volatile int count;

  /** Completes when no lock overlaps {@code [offset, offset + length)} of {@code device}. */
  CompletableFuture<Void> whenFree(DevicePath device, long offset, long length) {
    if (count == 0) return CompletableFuture.completedFuture(null);
    List<CompletableFuture<Void>> wait = new ArrayList<>();
    synchronized (held) {
      for (Held h : held) if (h.overlaps(device, offset, offset + length)) wait.add(h.released());
    }
    return wait.isEmpty() ? CompletableFuture.completedFuture(null)
        : CompletableFuture.allOf(wait.toArray(new CompletableFuture[0]));
  }

  /** Takes the lock once the range is free. */
  CompletableFuture<Held> lock(DevicePath device, long offset, long length) {
    synchronized (held) {
      boolean free = held.stream().noneMatch(h -> h.overlaps(device, offset, offset + length));
      if (free) {
        Held h = new Held(device, offset, offset + length, new CompletableFuture<>());
        held.add(h);
        count = held.size();
        return CompletableFuture.completedFuture(h);
      }
    }
    return whenFree(device, offset, length).thenCompose(x -> lock(device, offset, length));
  }

  void unlock(Held h) {
    synchronized (held) {
      held.remove(h);
      count = held.size();
    }
    h.released().complete(null);
  }
}
