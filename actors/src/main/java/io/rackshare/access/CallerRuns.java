package io.rackshare.access;

import java.util.function.Supplier;

/**
 * A caller that may block and has nothing else to do meanwhile (an NBD connection with this one
 * request in flight) asks that this blade's own device work for {@code work} run on its thread
 * rather than on the I/O dispatcher. At queue depth 1 a hand-off between threads costs more than
 * a page-cache read: on the 2-core machine of docs/benchmarks.md a round trip to a parked thread
 * and back took 74 us at the median, where nbdkit answers a 4 KiB read in 13-17 us. With more in
 * flight the caller keeps reading requests and the dispatcher serves them in parallel.
 *
 * <p>Only reads of this blade's own devices take the hint ({@link BlockTarget}); a piece on
 * another blade goes over the lane as always.
 */
public final class CallerRuns {
  private static final ThreadLocal<Boolean> ACTIVE = ThreadLocal.withInitial(() -> Boolean.FALSE);

  private CallerRuns() {}

  /** Runs {@code work}, letting this blade's device reads it starts run on this thread. */
  public static <T> T call(Supplier<T> work) {
    Boolean before = ACTIVE.get();
    ACTIVE.set(Boolean.TRUE);
    try {
      return work.get();
    } finally {
      ACTIVE.set(before);
    }
  }

  static boolean active() {
    return ACTIVE.get();
  }
}
