package io.rackshare.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.access.BlockDevice;
import io.rackshare.testkit.TestBlades;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14's deadlock stress: writers on every blade to RAID-5 stripes whose coordinators are the
 * other blades, with the lanes' windows tiny (2 requests in flight per target) so that they stay
 * full, for a bounded time. A coordinator waits on its members over the same lanes its requesters
 * fill: if any thread blocked on a full window or a socket another blade's thread waits on, the
 * blades would wait on each other. Every request must be answered, and, once all are, the
 * volume must read back what was last written and its parity must be consistent.
 */
class StripeDeadlockStressTest {

  static final int MIB = 1 << 20;
  static final int CHUNK = 16 * 1024;
  static final Duration RUN = Duration.ofSeconds(15);

  @TempDir static Path root;
  static TestBlades blades;

  @BeforeAll
  static void start() throws Exception {
    blades = new TestBlades(root, """
        rackshare.volumes = [{ name = r5, layout = raid5, stripe-size = 16KiB, members = [
            "Rack(1)/Chassis(1)/Blade(1)/Disk(0)", "Rack(1)/Chassis(1)/Blade(2)/Disk(0)",
            "Rack(1)/Chassis(1)/Blade(3)/Disk(0)"] }]
        rackshare.oob { max-in-flight-per-target = 2, request-timeout = 20s }
        """);
    for (int slot = 1; slot <= 3; slot++) blades.start(slot, "[{ file = disk0.img, size = 1MiB, block-size = 4096 }]");
    for (int slot = 1; slot <= 3; slot++) {
      blades.rackshare(slot).awaitVolume("r5", Duration.ofSeconds(30)).toCompletableFuture().get();
    }
  }

  @AfterAll
  static void stop() {
    blades.close();
  }

  @Test
  void everyWriteToStripesCoordinatedElsewhereIsAnswered() throws Exception {
    int writersPerBlade = 16;
    long volumeBytes = 2L * MIB; // two data chunks per stripe of three 1 MiB members
    // The last value written to each 4 KiB block: each of the 48 writers owns the blocks whose
    // index is its number mod 48, and has at most one write in flight to each.
    ConcurrentHashMap<Long, byte[]> last = new ConcurrentHashMap<>();
    ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    AtomicLong answered = new AtomicLong();
    AtomicLong sent = new AtomicLong();
    long end = System.nanoTime() + RUN.toNanos();
    List<CompletableFuture<Void>> writers = new ArrayList<>();
    java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(3 * writersPerBlade);
    for (int slot = 1; slot <= 3; slot++) {
      BlockDevice r5 = blades.rackshare(slot).volume("r5").orElseThrow();
      for (int w = 0; w < writersPerBlade; w++) {
        int owner = (slot - 1) * writersPerBlade + w;
        writers.add(CompletableFuture.runAsync(() -> {
          Random rnd = new Random(owner);
          Semaphore depth = new Semaphore(4); // each writer keeps 4 writes in flight, to 4 different blocks
          java.util.Set<Long> inFlight = ConcurrentHashMap.newKeySet();
          List<CompletableFuture<Void>> mine = new ArrayList<>();
          while (System.nanoTime() < end) {
            depth.acquireUninterruptibly();
            long block;
            do {
              block = owner + 48L * rnd.nextInt((int) (volumeBytes / 4096 / 48));
            } while (!inFlight.add(block));
            long b = block;
            byte[] data = new byte[4096];
            rnd.nextBytes(data);
            sent.incrementAndGet();
            mine.add(r5.write(b * 4096, ByteBuffer.wrap(data), false).toCompletableFuture()
                .whenComplete((v, t) -> {
                  if (t != null) failures.add("block " + b + ": " + t);
                  else last.put(b, data);
                  inFlight.remove(b);
                  answered.incrementAndGet();
                  depth.release();
                }));
            mine.removeIf(CompletableFuture::isDone);
          }
          mine.forEach(f -> f.exceptionally(t -> null).join());
        }, threads));
      }
    }
    CompletableFuture<Void> all = CompletableFuture.allOf(writers.toArray(new CompletableFuture[0]));
    try {
      all.get(RUN.toSeconds() + 60, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("requests unanswered 60 s after the writers stopped: " + (sent.get() - answered.get())
          + " of " + sent.get() + " (a deadlock between blades?)");
    }
    threads.shutdown();
    System.out.println("STRESS sent " + sent.get() + ", answered " + answered.get() + ", failed " + failures.size()
        + (failures.isEmpty() ? "" : ", e.g. " + failures.peek()));
    assertEquals(sent.get(), answered.get(), "every request was answered");
    assertTrue(failures.isEmpty(), failures.size() + " writes failed, e.g. " + failures.peek());
    assertTrue(sent.get() > 1000, "the stress wrote enough to fill the windows: " + sent.get());
    // What was last written reads back, through each blade.
    for (int slot = 1; slot <= 3; slot++) {
      BlockDevice r5 = blades.rackshare(slot).volume("r5").orElseThrow();
      for (var e : last.entrySet()) {
        assertArrayEquals(e.getValue(), r5.read(e.getKey() * 4096, 4096).toCompletableFuture().get(30, TimeUnit.SECONDS),
            "block " + e.getKey() + " through blade " + slot);
      }
    }
    // And the stripes' parity is consistent on the member files.
    for (int s = 0; s < MIB / CHUNK; s++) {
      byte[] x = new byte[CHUNK];
      for (int slot = 1; slot <= 3; slot++) {
        try (RandomAccessFile f = new RandomAccessFile(blades.dataDir(slot).resolve("disk0.img").toFile(), "r")) {
          byte[] c = new byte[CHUNK];
          f.seek((long) s * CHUNK);
          f.readFully(c);
          for (int i = 0; i < CHUNK; i++) x[i] ^= c[i];
        }
      }
      for (byte b : x) assertEquals(0, b, "stripe " + s + ": the members do not XOR to zero");
    }
  }
}
