package io.rackshare.testkit;

import io.rackshare.access.BlockDevice;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes seeded blocks through a {@link BlockDevice} while a test kills, restarts or partitions
 * blades, records every acknowledged write, and later reads everything back: {@link #verifyAll}
 * is "no acknowledged write lost" as one assertion.
 *
 * <p>Each write fills one block of the region with content derived from the seed, the block's
 * index and a generation unique to that write (the first 16 bytes say which block and generation,
 * so a mismatch shows whose data was found). A block never has two writes in flight. A write that
 * failed (not acknowledged) makes its block uncertain: afterwards it may hold the last
 * acknowledged content or the failed write's, sector by sector, and both pass; the next
 * acknowledged write makes it certain again. Blocks never acknowledged are not checked.
 */
public final class VerifyingWriter {

  /**
   * How to write.
   *
   * @param offset where the region starts on the device (bytes, a multiple of {@code blockSize})
   * @param length the region's length (bytes; 0: to the device's end)
   * @param blockSize each write's size
   * @param queueDepth writes in flight at most
   * @param writesPerSecond the rate (0: as fast as acknowledged)
   * @param seed the content's seed
   * @param fua each write with FUA (acknowledged only once stored)
   */
  public record Options(long offset, long length, int blockSize, int queueDepth, int writesPerSecond, long seed,
      boolean fua) {
    /** Checks the sizes. */
    public Options {
      if (blockSize < 512 || blockSize % 512 != 0) throw new IllegalArgumentException("blockSize must be a multiple of 512");
      if (offset < 0 || offset % blockSize != 0) throw new IllegalArgumentException("offset must be a multiple of blockSize");
      if (length < 0 || length % blockSize != 0) throw new IllegalArgumentException("length must be a multiple of blockSize");
      if (queueDepth < 1 || writesPerSecond < 0) throw new IllegalArgumentException("queueDepth >= 1, writesPerSecond >= 0");
    }

    /** 4 KiB blocks over the first 4 MiB, 8 in flight, 500 writes a second, FUA, seed 1. */
    public static Options defaults() {
      return new Options(0, 4L << 20, 4096, 8, 500, 1, true);
    }

    /** These options over {@code length} bytes from {@code offset}. */
    public Options region(long offset, long length) {
      return new Options(offset, length, blockSize, queueDepth, writesPerSecond, seed, fua);
    }

    /** These options with {@code depth} writes in flight. */
    public Options queueDepth(int depth) {
      return new Options(offset, length, blockSize, depth, writesPerSecond, seed, fua);
    }

    /** These options at {@code perSecond} writes a second (0: unlimited). */
    public Options rate(int perSecond) {
      return new Options(offset, length, blockSize, queueDepth, perSecond, seed, fua);
    }

    /** These options with another seed. */
    public Options seed(long seed) {
      return new Options(offset, length, blockSize, queueDepth, writesPerSecond, seed, fua);
    }
  }

  /**
   * What the writer did.
   *
   * @param acknowledged writes the device acknowledged
   * @param failed writes that failed (their blocks are uncertain, not lost)
   * @param lastError the last failure's message ("" when none)
   */
  public record Summary(long acknowledged, long failed, String lastError) {}

  /**
   * A block that does not hold what it must.
   *
   * @param offset the block's offset on the device
   * @param expected the generations it may hold (the last acknowledged one, and failed ones after it)
   * @param found the block index and generation its header names, or what went wrong reading it
   */
  public record Mismatch(long offset, List<Long> expected, String found) {}

  /**
   * A verification that passed.
   *
   * @param blocksChecked blocks read back and matched
   * @param uncertainBlocks of those, blocks with a failed write after their last acknowledged one
   */
  public record Verified(int blocksChecked, int uncertainBlocks) {}

  private final BlockDevice device;
  private final Options options;
  private final int blocks;
  /** Per block: the last acknowledged generation (0: none). Guarded by {@code this}. */
  private final long[] acknowledged;
  /** Per block: generations of failed writes since its last acknowledged one. Guarded by {@code this}. */
  private final Map<Integer, Set<Long>> uncertain = new HashMap<>();
  private final Set<Integer> inFlight = new HashSet<>();
  private final Semaphore depth;
  private final AtomicLong generations = new AtomicLong();
  private long acks;
  private long failures;
  private String lastError = "";
  private volatile boolean stopping;
  private final Thread thread;

  private VerifyingWriter(BlockDevice device, Options options) {
    this.device = device;
    this.options = options;
    long length = options.length() == 0 ? device.size() - options.offset() : options.length();
    if (options.offset() + length > device.size()) {
      throw new IllegalArgumentException("the region ends at " + (options.offset() + length) + ", beyond the device's "
          + device.size() + " bytes");
    }
    this.blocks = Math.toIntExact(length / options.blockSize());
    this.acknowledged = new long[blocks];
    this.depth = new Semaphore(options.queueDepth());
    this.thread = new Thread(this::run, "verifying-writer-" + device.name());
    this.thread.setDaemon(true);
  }

  /**
   * Starts writing to {@code device} in a thread of its own.
   *
   * @param device the device (a blade's {@code BlockDevice}, or {@link NbdBlockDevice})
   * @param options how to write
   * @return the running writer
   */
  public static VerifyingWriter start(BlockDevice device, Options options) {
    VerifyingWriter w = new VerifyingWriter(device, options);
    w.thread.start();
    return w;
  }

  private void run() {
    SplittableRandom random = new SplittableRandom(options.seed());
    long interval = options.writesPerSecond() == 0 ? 0 : TimeUnit.SECONDS.toNanos(1) / options.writesPerSecond();
    long next = System.nanoTime();
    try {
      while (!stopping) {
        depth.acquire();
        if (interval > 0) {
          long wait = next - System.nanoTime();
          try {
            if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait); // the rate's pacing, not a synchronisation
          } catch (InterruptedException e) {
            depth.release(); // stopped between two writes: this one is not written
            throw e;
          }
          next = Math.max(next + interval, System.nanoTime() - interval);
        }
        if (stopping) {
          depth.release();
          return;
        }
        int block;
        synchronized (this) {
          do {
            block = random.nextInt(blocks);
          } while (inFlight.contains(block) && inFlight.size() < blocks);
          inFlight.add(block);
        }
        write(block);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void write(int block) {
    long generation = generations.incrementAndGet();
    long offset = options.offset() + (long) block * options.blockSize();
    CompletableFuture<Void> w;
    try {
      w = device.write(offset, ByteBuffer.wrap(content(block, generation)), options.fua()).toCompletableFuture();
    } catch (RuntimeException e) {
      w = CompletableFuture.failedFuture(e);
    }
    w.whenComplete((ok, error) -> {
      synchronized (this) {
        inFlight.remove(block);
        if (error == null) {
          acknowledged[block] = generation;
          uncertain.remove(block);
          acks++;
        } else {
          uncertain.computeIfAbsent(block, b -> new HashSet<>()).add(generation);
          failures++;
          lastError = String.valueOf(error);
        }
        notifyAll();
      }
      depth.release();
    });
  }

  /** The content of {@code block} written by generation {@code generation}. */
  byte[] content(int block, long generation) {
    byte[] b = new byte[options.blockSize()];
    new SplittableRandom(options.seed() * 0x9E3779B97F4A7C15L + block * 31L + generation).nextBytes(b);
    ByteBuffer.wrap(b).putLong(block).putLong(generation);
    return b;
  }

  /**
   * Waits until at least {@code count} writes were acknowledged in all.
   *
   * @param count how many
   * @param deadline how long to wait
   * @return the summary then
   * @throws AssertionError with the summary when it does not happen in time
   * @throws InterruptedException when interrupted
   */
  public synchronized Summary awaitAcknowledged(long count, Duration deadline) throws InterruptedException {
    long end = System.nanoTime() + deadline.toNanos();
    while (acks < count) {
      long left = end - System.nanoTime();
      if (left <= 0) throw new AssertionError(count + " writes not acknowledged within " + deadline + ": " + summary());
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return summary();
  }

  /** The writes so far. */
  public synchronized Summary summary() {
    return new Summary(acks, failures, lastError);
  }

  /**
   * Stops writing and waits for the writes in flight to be answered (acknowledged or failed).
   *
   * @param deadline how long the writes in flight may take
   * @return what was written
   * @throws AssertionError when writes are still unanswered after the deadline
   * @throws InterruptedException when interrupted
   */
  public Summary stop(Duration deadline) throws InterruptedException {
    stopping = true;
    thread.interrupt();
    thread.join(deadline.toMillis());
    if (!depth.tryAcquire(options.queueDepth(), deadline.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("writes still unanswered after " + deadline + ": " + summary());
    }
    depth.release(options.queueDepth());
    return summary();
  }

  /**
   * Reads back every block an acknowledged write reached, through {@code reader} (the same
   * device, or the volume through another blade), and checks each holds its last acknowledged
   * write (or, where a write failed after it, that failed write's content). Call it after {@link
   * #stop}.
   *
   * @param reader the device to read through
   * @return what was checked
   * @throws AssertionError listing the first mismatches: acknowledged writes lost or wrong
   * @throws InterruptedException when interrupted
   */
  public Verified verifyAll(BlockDevice reader) throws InterruptedException {
    long[] acked;
    Map<Integer, Set<Long>> failed;
    synchronized (this) {
      if (!stopping) throw new IllegalStateException("stop the writer before verifying");
      acked = acknowledged.clone();
      failed = new HashMap<>();
      uncertain.forEach((b, g) -> failed.put(b, Set.copyOf(g)));
    }
    List<Mismatch> mismatches = java.util.Collections.synchronizedList(new ArrayList<>());
    Semaphore reads = new Semaphore(16);
    int checked = 0;
    int uncertainChecked = 0;
    for (int block = 0; block < blocks; block++) {
      if (acked[block] == 0) continue;
      checked++;
      List<Long> expected = new ArrayList<>();
      expected.add(acked[block]);
      if (failed.containsKey(block)) {
        uncertainChecked++;
        expected.addAll(failed.get(block));
      }
      long offset = options.offset() + (long) block * options.blockSize();
      int b = block;
      reads.acquire();
      CompletableFuture<byte[]> r;
      try {
        r = reader.read(offset, options.blockSize()).toCompletableFuture();
      } catch (RuntimeException e) {
        r = CompletableFuture.failedFuture(e);
      }
      r.whenComplete((data, error) -> {
        try {
          if (error != null) {
            mismatches.add(new Mismatch(offset, expected, "read failed: " + error));
          } else if (!matches(b, data, expected)) {
            ByteBuffer h = ByteBuffer.wrap(data);
            mismatches.add(new Mismatch(offset, expected, "block " + h.getLong() + " generation " + h.getLong()));
          }
        } finally {
          reads.release();
        }
      });
    }
    if (!reads.tryAcquire(16, 5, TimeUnit.MINUTES)) throw new AssertionError("reads unanswered after 5 minutes");
    if (!mismatches.isEmpty()) {
      List<Mismatch> sorted = new ArrayList<>(mismatches);
      sorted.sort(java.util.Comparator.comparingLong(Mismatch::offset));
      throw new AssertionError(sorted.size() + " of " + checked + " acknowledged blocks lost or wrong on '"
          + reader.name() + "' (" + summary() + "); the first: " + sorted.subList(0, Math.min(10, sorted.size())));
    }
    return new Verified(checked, uncertainChecked);
  }

  /** Whether every 512-byte sector of {@code data} is that sector of one of the {@code expected} generations. */
  private boolean matches(int block, byte[] data, List<Long> expected) {
    if (data.length != options.blockSize()) return false;
    List<byte[]> contents = expected.stream().map(g -> content(block, g)).toList();
    for (int s = 0; s < data.length; s += 512) {
      boolean any = false;
      for (byte[] c : contents) {
        if (java.util.Arrays.equals(data, s, s + 512, c, s, s + 512)) {
          any = true;
          break;
        }
      }
      if (!any) return false;
    }
    return true;
  }
}
