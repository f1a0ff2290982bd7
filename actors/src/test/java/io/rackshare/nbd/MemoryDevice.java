package io.rackshare.nbd;

import io.rackshare.access.BlockDevice;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link BlockDevice} in memory for the NBD front end's tests: sparse in 64 KiB blocks (a write
 * allocates, zeroing a whole block punches it, as a file system does), counting the bytes read,
 * and refusing, loudly, any range the server should not have passed on.
 */
final class MemoryDevice implements BlockDevice {
  static final int BLOCK = 64 * 1024;

  final int size;
  final byte[] bytes;
  final boolean[] allocated;
  final AtomicInteger outOfRange = new AtomicInteger();
  final AtomicLong bytesRead = new AtomicLong();
  private final boolean fastZero;
  /** While set, writes (stored at once) complete only when it does: a slow device, for requests in flight. */
  volatile CompletableFuture<Void> writeGate;

  MemoryDevice(int size, boolean fastZero) {
    this.size = size;
    this.bytes = new byte[size];
    this.allocated = new boolean[(size + BLOCK - 1) / BLOCK];
    this.fastZero = fastZero;
  }

  /** Exports this device as {@code v0} (and as the default export, ""). */
  NbdExports exports() {
    MemoryDevice self = this;
    return new NbdExports() {
      @Override
      public List<String> names() {
        return List.of("v0");
      }

      @Override
      public java.util.Optional<BlockDevice> open(String name) {
        return name.isEmpty() || name.equals("v0") ? java.util.Optional.of(self) : java.util.Optional.empty();
      }
    };
  }

  @Override
  public String name() {
    return "v0";
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public int blockSize() {
    return 512;
  }

  private int[] range(long offset, long length) {
    if (offset < 0 || length < 0 || offset + length > size || offset + length < 0) {
      outOfRange.incrementAndGet();
      throw new IllegalStateException("the server passed on an out-of-range request: " + offset + "+" + length);
    }
    return new int[] {(int) offset, (int) (offset + length)};
  }

  @Override
  public synchronized CompletionStage<byte[]> read(long offset, int length) {
    int[] r = range(offset, length);
    bytesRead.addAndGet(length);
    return CompletableFuture.completedFuture(Arrays.copyOfRange(bytes, r[0], r[1]));
  }

  @Override
  public synchronized CompletionStage<Void> write(long offset, ByteBuffer data, boolean fua) {
    int[] r = range(offset, data.remaining());
    data.get(bytes, r[0], r[1] - r[0]);
    for (int b = r[0] / BLOCK; b < r[1] && b * BLOCK < r[1]; b++) allocated[b] = true;
    CompletableFuture<Void> gate = writeGate;
    return gate == null ? CompletableFuture.completedFuture(null) : gate.thenApply(x -> null);
  }

  @Override
  public synchronized CompletionStage<Void> writeZeroes(long offset, long length, boolean fua) {
    int[] r = range(offset, length);
    Arrays.fill(bytes, r[0], r[1], (byte) 0);
    for (int b = (r[0] + BLOCK - 1) / BLOCK; (long) (b + 1) * BLOCK <= r[1]; b++) allocated[b] = false;
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Void> flush() {
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public synchronized CompletionStage<Allocation> allocated(long offset, long length) {
    int[] r = range(offset, length);
    List<long[]> out = new ArrayList<>();
    for (int b = r[0] / BLOCK; (long) b * BLOCK < r[1]; b++) {
      if (!allocated[b]) continue;
      long start = Math.max(r[0], (long) b * BLOCK);
      long end = Math.min(r[1], (long) (b + 1) * BLOCK);
      if (!out.isEmpty() && out.get(out.size() - 1)[1] == start) out.get(out.size() - 1)[1] = end;
      else out.add(new long[] {start, end});
    }
    return CompletableFuture.completedFuture(new Allocation(r[1], out));
  }

  @Override
  public boolean zeroIsFast() {
    return fastZero;
  }
}
