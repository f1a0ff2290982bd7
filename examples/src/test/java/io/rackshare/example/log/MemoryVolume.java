package io.rackshare.example.log;

import io.rackshare.access.BlockDevice;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** A volume in memory for the format's tests: writes land at once, whole. */
final class MemoryVolume implements BlockDevice {

  final byte[] bytes;

  MemoryVolume(int size) {
    bytes = new byte[size];
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
    return 4096;
  }

  @Override
  public synchronized CompletionStage<byte[]> read(long offset, int length) {
    return CompletableFuture.completedFuture(Arrays.copyOfRange(bytes, (int) offset, (int) offset + length));
  }

  @Override
  public synchronized CompletionStage<Void> write(long offset, ByteBuffer data, boolean fua) {
    data.duplicate().get(bytes, (int) offset, data.remaining());
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public synchronized CompletionStage<Void> writeZeroes(long offset, long length, boolean fua) {
    Arrays.fill(bytes, (int) offset, (int) (offset + length), (byte) 0);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Void> flush() {
    return CompletableFuture.completedFuture(null);
  }
}
