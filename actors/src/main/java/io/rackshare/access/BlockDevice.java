package io.rackshare.access;

import java.util.concurrent.CompletionStage;

/**
 * A global volume as a local block device: what the NBD front end and embedding applications
 * use. Offsets and lengths are in bytes and need not be aligned; the application never learns
 * which blades hold the blocks. Failures complete the stage with a {@link BlockDeviceException}.
 */
public interface BlockDevice {

  /** The volume's name. */
  String name();

  /** The size in bytes. */
  long size();

  /** The block size of the volume's members: the preferred I/O granularity. */
  int blockSize();

  CompletionStage<byte[]> read(long offset, int length);

  /**
   * Reads into a buffer that may come from a pool of direct buffers (fewer copies on the way to a
   * socket). Give it back with {@link #release} once its bytes are consumed.
   */
  default CompletionStage<java.nio.ByteBuffer> readBuffer(long offset, int length) {
    return read(offset, length).thenApply(java.nio.ByteBuffer::wrap);
  }

  /** Gives back a buffer from {@link #readBuffer}. */
  default void release(java.nio.ByteBuffer buffer) {}

  /**
   * Writes the remaining bytes of {@code data} at {@code offset}; with {@code fua} they are on
   * stable storage when done. The buffer must not change until the stage completes.
   */
  CompletionStage<Void> write(long offset, java.nio.ByteBuffer data, boolean fua);

  /** Writes {@code data} at {@code offset}; with {@code fua} it is on stable storage when done. */
  default CompletionStage<Void> write(long offset, byte[] data, boolean fua) {
    return write(offset, java.nio.ByteBuffer.wrap(data), fua);
  }

  default CompletionStage<Void> write(long offset, byte[] data) {
    return write(offset, data, false);
  }

  /**
   * Makes {@code length} bytes at {@code offset} read as zeros, without sending them anywhere
   * (NBD WRITE_ZEROES; TRIM uses it too, so trimmed ranges read as zeros).
   */
  CompletionStage<Void> writeZeroes(long offset, long length, boolean fua);

  /** Forces every completed write of the volume to stable storage on every member. */
  CompletionStage<Void> flush();

  /**
   * What {@link #allocated} found: the ranges {@code [start, end)} that may hold data, sorted and
   * disjoint, inside {@code [offset, end)}, the part of the request looked at (it may end short
   * of the request: ask again from there); the rest of that part is holes that read as zeros.
   */
  record Allocation(long end, java.util.List<long[]> data) {}

  /**
   * Which bytes of {@code [offset, offset + length)} may hold data (NBD block status, {@code
   * base:allocation}). Where a device cannot tell, it says data: the default, the whole range.
   */
  default CompletionStage<Allocation> allocated(long offset, long length) {
    return java.util.concurrent.CompletableFuture.completedFuture(
        new Allocation(offset + length, java.util.List.of(new long[] {offset, offset + length})));
  }

  /**
   * Whether {@link #writeZeroes} is fast (it punches holes or changes metadata rather than
   * writing zeros): NBD's fast-zero requests are refused (ENOTSUP) where it is not.
   */
  default boolean zeroIsFast() {
    return false;
  }

  /** Whether every write is refused ({@link IoError#READ_ONLY}): a removable medium. */
  default boolean readOnly() {
    return false;
  }
}
