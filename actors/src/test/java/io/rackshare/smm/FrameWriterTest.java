package io.rackshare.smm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The one writer of a lane connection: who writes, in which order, and who never waits for a socket. */
class FrameWriterTest {

  final ExecutorService writers = Executors.newCachedThreadPool(r -> new Thread(r, "test-lane-writer"));

  @AfterEach
  void stop() {
    writers.shutdownNow();
  }

  static DataLane.Frame frame(int n) {
    return new DataLane.Frame((byte) 1, ByteBuffer.allocate(0), ByteBuffer.allocate(n));
  }

  @Test
  void aThreadThatMustNotBlockOnlyQueuesWhileTheSocketIsStuck() throws Exception {
    CountDownLatch stuck = new CountDownLatch(1);
    List<Long> written = Collections.synchronizedList(new ArrayList<>());
    AtomicReference<String> writerThread = new AtomicReference<>();
    FrameWriter w = new FrameWriter((id, f) -> {
      writerThread.set(Thread.currentThread().getName());
      try {
        stuck.await(); // a peer that does not read: the socket's buffer is full
      } catch (InterruptedException e) {
        throw new IOException(e);
      }
      written.add(id);
    }, e -> { }, writers);
    // This thread stands for a lane reader: it is not marked as one that may block.
    Thread reader = new Thread(() -> {
      for (long id = 1; id <= 100; id++) w.submit(id, frame(10), null);
    }, "test-lane-reader");
    reader.start();
    reader.join(5000);
    assertTrue(!reader.isAlive(), "the reader returned although nothing could be written");
    assertEquals(List.of(), written);
    stuck.countDown();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (written.size() < 100 && System.nanoTime() < deadline) Thread.onSpinWait();
    List<Long> expected = new ArrayList<>();
    for (long id = 1; id <= 100; id++) expected.add(id);
    assertEquals(expected, written, "every frame once, in order");
    assertEquals("test-lane-writer", writerThread.get());
  }

  @Test
  void aThreadThatMayBlockWritesItselfWhenTheConnectionIsIdle() throws Exception {
    AtomicReference<Thread> writer = new AtomicReference<>();
    FrameWriter w = new FrameWriter((id, f) -> writer.set(Thread.currentThread()), e -> { }, writers);
    Thread client = new Thread(() -> {
      FrameWriter.mayBlock();
      w.submit(1, frame(1), null);
    }, "nbd-client");
    client.start();
    client.join(5000);
    assertEquals(client, writer.get(), "no hand-off for a thread that may block: no extra wake-up per request");

    AtomicReference<Thread> other = new AtomicReference<>();
    FrameWriter w2 = new FrameWriter((id, f) -> other.set(Thread.currentThread()), e -> { }, writers);
    Thread reader = new Thread(() -> w2.submit(1, frame(1), null), "data-lane-from-3");
    reader.start();
    reader.join(5000);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (other.get() == null && System.nanoTime() < deadline) Thread.onSpinWait();
    assertNotEquals(reader, other.get());

    // A connection's request reader writes its own replies (their requester never stops reading).
    AtomicReference<Thread> replied = new AtomicReference<>();
    Thread[] requestReader = new Thread[1];
    requestReader[0] = new Thread(() -> {
      FrameWriter replies = new FrameWriter((id, f) -> replied.set(Thread.currentThread()), e -> { }, writers,
          requestReader[0]);
      replies.submit(1, frame(1), null);
    }, "data-lane-in-from-2");
    requestReader[0].start();
    requestReader[0].join(5000);
    assertEquals(requestReader[0], replied.get());
  }

  @Test
  void framesFromManyThreadsAreEachWrittenOnceInEachThreadsOrder() throws Exception {
    Map<Long, Integer> times = new ConcurrentHashMap<>();
    List<Long> order = Collections.synchronizedList(new ArrayList<>());
    FrameWriter w = new FrameWriter((id, f) -> {
      times.merge(id, 1, Integer::sum);
      order.add(id);
    }, e -> { }, writers);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      long base = t * 1_000_000L;
      boolean mayBlock = t % 2 == 0;
      threads.add(new Thread(() -> {
        if (mayBlock) FrameWriter.mayBlock();
        for (long i = 0; i < 2000; i++) w.submit(base + i, frame(0), null);
      }));
    }
    threads.forEach(Thread::start);
    for (Thread t : threads) t.join(10_000);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (times.size() < 16_000 && System.nanoTime() < deadline) Thread.onSpinWait();
    assertEquals(16_000, times.size());
    assertTrue(times.values().stream().allMatch(n -> n == 1), "a frame written twice");
    long[] last = new long[8];
    java.util.Arrays.fill(last, -1);
    synchronized (order) {
      for (long id : order) {
        int t = (int) (id / 1_000_000L);
        assertTrue(id % 1_000_000L > last[t], "thread " + t + "'s frames out of order at " + id);
        last[t] = id % 1_000_000L;
      }
    }
  }

  @Test
  void aRequestGivenUpBeforeItsTurnIsNotWritten() throws Exception {
    CountDownLatch first = new CountDownLatch(1);
    List<Long> written = Collections.synchronizedList(new ArrayList<>());
    FrameWriter w = new FrameWriter((id, f) -> {
      if (id == 1) {
        try {
          first.await();
        } catch (InterruptedException e) {
          throw new IOException(e);
        }
      }
      written.add(id);
    }, e -> { }, writers);
    CompletableFuture<Void> timedOut = new CompletableFuture<>();
    w.submit(1, frame(1), null);
    w.submit(2, frame(1), timedOut);
    w.submit(3, frame(1), new CompletableFuture<>());
    // Request 2 times out (its buffer may be reused at once): it must never reach the socket.
    timedOut.completeExceptionally(new IOException("time-out"));
    first.countDown();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (written.size() < 2 && System.nanoTime() < deadline) Thread.onSpinWait();
    assertEquals(List.of(1L, 3L), written);
  }

  @Test
  void aFailedWriteIsReported() throws Exception {
    CompletableFuture<IOException> failed = new CompletableFuture<>();
    FrameWriter w = new FrameWriter((id, f) -> {
      throw new IOException("Broken pipe");
    }, failed::complete, writers);
    w.submit(1, frame(1), null);
    assertEquals("Broken pipe", failed.get(5, TimeUnit.SECONDS).getMessage());
  }
}
