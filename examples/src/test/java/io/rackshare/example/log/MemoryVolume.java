package io.rackshare.example.log;

import io.rackshare.access.BlockDevice;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A volume in memory for the format's tests: writes land at once and whole, and a test changes
 * {@code bytes} directly to tear or corrupt a record. With a {@code mirror} it is a raid1 of two
 * copies: writes go to both, reads alternate between them, and a test changes one copy only.
 *
 * @param bytes the volume's content (its first copy)
 * @param mirror its second copy, or null
 * @param reads how many reads there were
 */
record MemoryVolume(byte[] bytes, byte[] mirror, AtomicInteger reads) implements BlockDevice {

  MemoryVolume(int size) {
    this(new byte[size], null, new AtomicInteger());
  }

  /** Two copies of {@code size} bytes; the first read goes to the first. */
  static MemoryVolume mirrored(int size) {
    return new MemoryVolume(new byte[size], new byte[size], new AtomicInteger());
  }

  @Override public String name() { return "memory"; }
  @Override public long size() { return bytes.length; }
  @Override public int blockSize() { return RecordFormat.BLOCK; }
  @Override public CompletionStage<Void> flush() { return done(null); }

  @Override
  public CompletionStage<byte[]> read(long offset, int length) {
    byte[] copy = mirror != null && reads.getAndIncrement() % 2 == 1 ? mirror : bytes;
    return done(Arrays.copyOfRange(copy, (int) offset, (int) offset + length));
  }

  @Override
  public CompletionStage<Void> write(long offset, ByteBuffer data, boolean fua) {
    data.duplicate().get(bytes, (int) offset, data.remaining());
    if (mirror != null) data.duplicate().get(mirror, (int) offset, data.remaining());
    return done(null);
  }

  @Override
  public CompletionStage<Void> writeZeroes(long offset, long length, boolean fua) {
    Arrays.fill(bytes, (int) offset, (int) (offset + length), (byte) 0);
    if (mirror != null) Arrays.fill(mirror, (int) offset, (int) (offset + length), (byte) 0);
    return done(null);
  }

  private static <T> CompletionStage<T> done(T value) {
    return CompletableFuture.completedFuture(value);
  }
}
