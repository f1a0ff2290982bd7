package io.rackshare.io;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Memory for request payloads, shared by every connection of a listener: a request reserves its
 * payload's bytes before its buffer is allocated and gives them back when the buffer is free, so
 * that what all clients hold together stays under the budget, whatever each one sends. A request
 * that finds no room waits (fairly, in arrival order) for a bounded time, then fails with an
 * error: the blade never runs out of memory for it. Thread-safe; reserving blocks the caller.
 */
public final class MemoryBudget {
  private static final int UNIT = 1024;

  private final long bytes;
  private final Semaphore units;

  public MemoryBudget(long bytes) {
    if (bytes < UNIT) throw new IllegalArgumentException("a memory budget of " + bytes + " bytes");
    this.bytes = bytes;
    this.units = new Semaphore((int) Math.min(Integer.MAX_VALUE, bytes / UNIT), true);
  }

  private static int units(long n) {
    return (int) Math.min(Integer.MAX_VALUE, (n + UNIT - 1) / UNIT);
  }

  /** Reserves {@code n} bytes, waiting up to {@code wait} for them; false if no room came in time. */
  public boolean reserve(long n, Duration wait) throws InterruptedException {
    if (n <= 0) return true;
    if (n > bytes) return false;
    return units.tryAcquire(units(n), wait.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Gives back {@code n} bytes of a successful {@link #reserve}. */
  public void release(long n) {
    if (n > 0) units.release(units(n));
  }

  public long bytes() {
    return bytes;
  }

  /** Bytes not reserved now. */
  public long available() {
    return (long) units.availablePermits() * UNIT;
  }
}
