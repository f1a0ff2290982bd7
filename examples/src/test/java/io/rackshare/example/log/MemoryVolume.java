package io.rackshare.example.log;

import io.rackshare.access.BlockDevice;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A volume in memory for the format's tests: writes land at once and whole, and a test changes
 * {@code bytes} directly to tear or corrupt a record.
 *
 * @param bytes the volume's content
 */
record MemoryVolume(byte[] bytes) implements BlockDevice {

  MemoryVolume(int size) {
    this(new byte[size]);
  }

  @Override public String name() { return "memory"; }
  @Override public long size() { return bytes.length; }
  @Override public int blockSize() { return RecordFormat.BLOCK; }
  @Override public CompletionStage<Void> flush() { return done(null); }

  @Override
  public CompletionStage<byte[]> read(long offset, int length) {
    return done(Arrays.copyOfRange(bytes, (int) offset, (int) offset + length));
  }

  @Override
  public CompletionStage<Void> write(long offset, ByteBuffer data, boolean fua) {
    data.duplicate().get(bytes, (int) offset, data.remaining());
    return done(null);
  }

  @Override
  public CompletionStage<Void> writeZeroes(long offset, long length, boolean fua) {
    Arrays.fill(bytes, (int) offset, (int) (offset + length), (byte) 0);
    return done(null);
  }

  private static <T> CompletionStage<T> done(T value) {
    return CompletableFuture.completedFuture(value);
  }
}
