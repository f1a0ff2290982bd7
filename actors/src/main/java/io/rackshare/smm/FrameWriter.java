package io.rackshare.smm;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Writes the frames of one lane connection, in the order they were submitted, one at a time.
 *
 * <p>Threads: {@link #submit} may be called from any thread. It writes on the calling thread only
 * if that thread's wait for a socket can hold up no reader of replies: a thread that may block
 * ({@link #mayBlock}: an NBD connection's own thread, a block I/O thread), or the connection's own
 * request reader writing its replies (the requester reads replies on a thread that never waits
 * for a socket, so such a wait ends). Any other thread (a reader of replies, a request reader
 * sending requests of its own, the lane's sweeper, an actor's dispatcher, an embedding service's
 * thread) only queues the frame, and a thread of the {@code data-lane-writer} executor writes it.
 * So no chain of threads waiting for sockets can close into a circle: two blades whose requests
 * and replies cross cannot hold each other's readers in a socket write.
 */
public final class FrameWriter {

  /** Writes one frame to the connection (connecting first, if need be). */
  interface Sink {
    void write(long id, DataLane.Frame frame) throws IOException;
  }

  /** What a failed write does (the connection is no use any more). */
  interface Failure {
    void failed(IOException e);
  }

  /** A frame to write; one whose {@code future} is done already (given up) is not written. */
  private record Out(long id, DataLane.Frame frame, CompletableFuture<?> future) {}

  private static final ThreadLocal<Boolean> MAY_BLOCK = ThreadLocal.withInitial(() -> Boolean.FALSE);

  private final ConcurrentLinkedQueue<Out> queue = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean writing = new AtomicBoolean();
  private final Sink sink;
  private final Failure failure;
  private final Executor writers;
  /** A thread that may write here itself although it may not block elsewhere, or null. */
  private final Thread owner;

  FrameWriter(Sink sink, Failure failure, Executor writers) {
    this(sink, failure, writers, null);
  }

  /** As above; {@code owner} (a connection's request reader, for its replies) may write itself too. */
  FrameWriter(Sink sink, Failure failure, Executor writers, Thread owner) {
    this.sink = sink;
    this.failure = failure;
    this.writers = writers;
    this.owner = owner;
  }

  /** The calling thread may block in a socket write from now on (it serves one client, or does block I/O). */
  public static void mayBlock() {
    MAY_BLOCK.set(Boolean.TRUE);
  }

  static boolean threadMayBlock() {
    if (MAY_BLOCK.get()) return true;
    // The block I/O dispatcher's threads exist to block (rackshare.io-dispatcher).
    return Thread.currentThread().getName().contains("rackshare.io-dispatcher");
  }

  /** Writes {@code frame} as request or reply {@code id}, unless {@code future} (may be null) is done by then. */
  void submit(long id, DataLane.Frame frame, CompletableFuture<?> future) {
    queue.add(new Out(id, frame, future));
    if (!writing.compareAndSet(false, true)) return; // the thread writing now takes it too
    if (threadMayBlock() || Thread.currentThread() == owner) {
      drain();
      return;
    }
    try {
      writers.execute(this::drain);
    } catch (RejectedExecutionException e) {
      writing.set(false);
      failure.failed(new IOException("the lane is closing"));
    }
  }

  private void drain() {
    do {
      for (Out o; (o = queue.poll()) != null; ) {
        if (o.future() != null && o.future().isDone()) continue;
        try {
          sink.write(o.id(), o.frame());
        } catch (IOException e) {
          failure.failed(e);
        }
      }
      writing.set(false);
    } while (!queue.isEmpty() && writing.compareAndSet(false, true));
  }
}
