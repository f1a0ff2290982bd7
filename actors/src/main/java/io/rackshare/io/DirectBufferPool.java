package io.rackshare.io;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A bounded pool of direct buffers of one size, for large payloads that go from one socket to
 * another socket or a file: a direct buffer is copied once by the kernel on each side, a heap
 * buffer twice more (through the JDK's temporary direct buffers). When the pool is empty callers
 * fall back to heap buffers, so a burst costs speed, never correctness.
 */
public final class DirectBufferPool {
  private final int bufferSize;
  private final int maxBuffers;
  private final ConcurrentLinkedQueue<ByteBuffer> free = new ConcurrentLinkedQueue<>();
  private final AtomicInteger created = new AtomicInteger();

  public DirectBufferPool(int bufferSize, int maxBuffers) {
    this.bufferSize = bufferSize;
    this.maxBuffers = maxBuffers;
  }

  /** A cleared buffer with {@code size} bytes of room, or null if none is free (use the heap). */
  public ByteBuffer acquire(int size) {
    if (size > bufferSize) return null;
    ByteBuffer b = free.poll();
    if (b == null) {
      if (created.incrementAndGet() > maxBuffers) {
        created.decrementAndGet();
        return null;
      }
      b = ByteBuffer.allocateDirect(bufferSize);
    }
    return b.clear().limit(size);
  }

  /** Gives back a buffer from {@link #acquire}; nobody may use it afterwards. */
  public void release(ByteBuffer b) {
    if (b != null && b.isDirect() && b.capacity() == bufferSize) free.offer(b);
  }
}
