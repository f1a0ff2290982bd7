package io.rackshare.driver;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A blade's shared RAM (0062: volatile memory) as a block device: off-heap memory, allocated in
 * whole when the blade starts (so a blade never holds more than configured, and one that cannot
 * have it fails at start-up, not under load), zeros at first. Its content lives as long as the
 * process: {@code flush} and FUA make nothing more durable, and a restarted blade's memory is
 * empty again, under a new {@link #incarnation()} (see {@code ResourceConfig.Block}).
 */
public final class MemoryBlockStore extends ChunkedBlockStore {

  private final String incarnation;

  /**
   * Allocates {@code size} bytes off the heap, known as {@code incarnation}; an {@link
   * OutOfMemoryError} of the JVM's direct memory says why not.
   */
  public MemoryBlockStore(long size, String incarnation) {
    super(size, allocate(size));
    this.incarnation = incarnation;
  }

  private static List<ByteBuffer> allocate(long size) {
    if (size <= 0) throw new IllegalArgumentException("a memory device needs a size > 0, got " + size);
    List<ByteBuffer> out = new ArrayList<>();
    for (long at = 0; at < size; at += CHUNK) out.add(ByteBuffer.allocateDirect((int) Math.min(CHUNK, size - at)));
    return out;
  }

  /** The name of this allocation: a member holding another's content finds it gone. */
  public String incarnation() {
    return incarnation;
  }

  /** Nothing to force: memory is as durable as it gets. */
  @Override
  void force(long offset, long length) {
  }
}
