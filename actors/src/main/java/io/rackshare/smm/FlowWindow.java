package io.rackshare.smm;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Flow control of one tier of requests to one target, on both planes (the data lane's {@code
 * Peer} per tier, the SMM handler's control requests per blade): at most {@code size} in flight;
 * more wait in a queue of at most {@code maxQueued} until a reply frees a place, or fail once
 * their deadline passes ({@link #expire}, called by the owner's sweep). Nobody blocks on it: a
 * request that finds no room is queued and sent by whichever thread frees one ({@link #release}
 * then {@link #pump}). Thread-safe; on the lane, called from the senders' threads, its reader
 * threads and its sweeper; in the SMM handler, from the actor only.
 *
 * @param <R> what a queued request carries
 */
final class FlowWindow<R> {

  /**
   * A request waiting for room: sent once there is, or failed at {@code deadline}; skipped if its
   * {@code future} (may be null) is done by then.
   */
  record Queued<R>(R request, CompletableFuture<?> future, long deadline) {}

  private final Semaphore room;
  private final int maxQueued;
  private final ConcurrentLinkedQueue<Queued<R>> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger queued = new AtomicInteger();

  private final int size;

  FlowWindow(int size, int maxQueued) {
    this.size = size;
    this.room = new Semaphore(size);
    this.maxQueued = maxQueued;
  }

  /** Takes a place if there is one now. */
  boolean tryAcquire() {
    return room.tryAcquire();
  }

  /** Gives back a place (a reply came, or the request failed). */
  void release() {
    room.release();
  }

  /** Queues {@code q}; false if {@code maxQueued} requests wait already (overload). */
  boolean enqueue(Queued<R> q) {
    if (queued.incrementAndGet() > maxQueued) {
      queued.decrementAndGet();
      return false;
    }
    queue.add(q);
    return true;
  }

  /** Hands queued requests to {@code send} while there is room (each holding a place). */
  void pump(Consumer<Queued<R>> send) {
    while (!queue.isEmpty() && room.tryAcquire()) {
      Queued<R> q = queue.poll();
      if (q == null) {
        room.release();
        return;
      }
      queued.decrementAndGet();
      if (q.future() != null && q.future().isDone()) {
        room.release(); // expired while queued
        continue;
      }
      send.accept(q);
    }
  }

  /** Fails (with {@code expired}) the queued requests whose deadline is past {@code now}. */
  void expire(long now, Consumer<Queued<R>> expired) {
    for (Queued<R> q : queue) {
      if (now - q.deadline() >= 0 && queue.remove(q)) {
        queued.decrementAndGet();
        expired.accept(q);
      }
    }
  }

  /** Requests waiting for room now. */
  /** Requests holding a place now (sent, not answered). */
  int inFlight() {
    return size - room.availablePermits();
  }

  int queued() {
    return queued.get();
  }

  /** Takes every queued request out, handing each to {@code failed}. */
  void drain(Consumer<Queued<R>> failed) {
    for (Queued<R> q; (q = queue.poll()) != null; ) {
      queued.decrementAndGet();
      failed.accept(q);
    }
  }
}
