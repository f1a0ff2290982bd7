package io.rackshare.driver;

import io.rackshare.io.Ranges;
import java.io.IOException;

/**
 * Positional, thread-safe, blocking I/O on one block device: what a resource driver does to its
 * device. The driver actor owns it; the data lane calls it directly on I/O threads.
 */
public interface BlockStore extends AutoCloseable {

  long size();

  byte[] read(long offset, int length) throws IOException;

  /** Fills the remaining room of {@code dest} from {@code offset}. */
  default void read(long offset, java.nio.ByteBuffer dest) throws IOException {
    dest.put(read(offset, dest.remaining()));
  }

  /** Writes all of {@code data} (heap or direct) at {@code offset}. */
  void write(long offset, java.nio.ByteBuffer data, boolean fua) throws IOException;

  /** Writes {@code length} bytes at {@code offset} to {@code target} (zero-copy where possible). */
  default void transferTo(long offset, int length, java.nio.channels.WritableByteChannel target)
      throws IOException {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(read(offset, length));
    while (b.hasRemaining()) target.write(b);
  }

  /** Makes {@code [offset, offset + length)} read as zeros (punching holes where the device can). */
  void writeZeroes(long offset, long length, boolean fua) throws IOException;

  /**
   * The ranges of {@code [offset, offset + length)} that may hold data, sorted and disjoint; the
   * rest reads as zeros. The default, for devices that cannot tell: all of it.
   */
  default java.util.List<long[]> allocated(long offset, long length) throws IOException {
    return java.util.List.of(new long[] {offset, offset + length});
  }

  /** Forces everything written so far to stable storage. */
  void flush() throws IOException;

  /** Whether {@code [offset, offset + length)} lies on the device. */
  default boolean inRange(long offset, long length) {
    return Ranges.fits(offset, length, size());
  }

  @Override
  void close() throws IOException;
}
