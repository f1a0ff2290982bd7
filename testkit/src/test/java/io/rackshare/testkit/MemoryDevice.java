package io.rackshare.testkit;

import io.rackshare.access.BlockDevice;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A block device in a byte array for the writer's own tests; {@code fails} picks writes (by their
 * number from 1 and their offset) that fail, {@code drops} writes that do not land.
 */
final class MemoryDevice implements BlockDevice {
  /** Picks writes by their number and offset. */
  interface Rule {
    boolean test(long n, long offset);
  }

  final byte[] bytes;
  private final Rule fails;
  private final Rule drops;
  private long writes;

  MemoryDevice(int size, Rule fails, Rule drops) {
    this.bytes = new byte[size];
    this.fails = fails;
    this.drops = drops;
  }

  @Override
  public String name() {
    return "memory";
  }

  @Override
  public long size() {
    return bytes.length;
  }

  @Override
  public int blockSize() {
    return 512;
  }

  @Override
  public synchronized CompletionStage<byte[]> read(long offset, int length) {
    byte[] b = new byte[length];
    System.arraycopy(bytes, (int) offset, b, 0, length);
    return CompletableFuture.completedFuture(b);
  }

  @Override
  public synchronized CompletionStage<Void> write(long offset, ByteBuffer data, boolean fua) {
    long n = ++writes;
    if (!drops.test(n, offset)) data.duplicate().get(bytes, (int) offset, data.remaining());
    return fails.test(n, offset) ? CompletableFuture.failedFuture(new java.io.IOException("write " + n + " failed"))
        : CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Void> writeZeroes(long offset, long length, boolean fua) {
    throw new UnsupportedOperationException();
  }

  @Override
  public CompletionStage<Void> flush() {
    return CompletableFuture.completedFuture(null);
  }
}
