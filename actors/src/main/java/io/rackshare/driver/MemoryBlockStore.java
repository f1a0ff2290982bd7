package io.rackshare.driver;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A blade's shared RAM (0062: volatile memory) as a block device: off-heap memory, allocated in
 * whole when the blade starts (so a blade never holds more than configured, and one that cannot
 * have it fails at start-up, not under load), in chunks of {@link #CHUNK} bytes, zeros at first.
 * Its content lives as long as the process: {@code flush} and FUA make nothing more durable, and
 * a restarted blade's memory is empty again (the manager knows it by the resource's incarnation,
 * see {@code ResourceConfig.Block}).
 *
 * <p>Threads: any; each call works on its own views of the chunks. A read concurrent with a write
 * of the same bytes sees either, as on a disk.
 */
public final class MemoryBlockStore implements BlockStore {

  /** Bytes per chunk: a direct buffer holds at most 2 GiB; smaller chunks fail earlier and cleaner. */
  public static final int CHUNK = 64 << 20;

  private final long size;
  private final String incarnation;
  private final List<ByteBuffer> chunks;
  private volatile boolean closed;

  /**
   * Allocates {@code size} bytes off the heap, known as {@code incarnation}; an {@link
   * OutOfMemoryError} of the JVM's direct memory says why not.
   */
  public MemoryBlockStore(long size, String incarnation) {
    if (size <= 0) throw new IllegalArgumentException("a memory device needs a size > 0, got " + size);
    this.size = size;
    this.incarnation = incarnation;
    List<ByteBuffer> out = new ArrayList<>();
    for (long at = 0; at < size; at += CHUNK) out.add(ByteBuffer.allocateDirect((int) Math.min(CHUNK, size - at)));
    this.chunks = out;
  }

  /** The name of this allocation: a member holding another's content finds it gone. */
  public String incarnation() {
    return incarnation;
  }

  @Override
  public long size() {
    return size;
  }

  /** A view of chunk {@code offset / CHUNK} from {@code offset}, at most {@code length} bytes long. */
  private ByteBuffer view(long offset, long length) throws IOException {
    if (closed) throw new IOException("memory device closed");
    ByteBuffer c = chunks.get((int) (offset / CHUNK)).duplicate();
    int from = (int) (offset % CHUNK);
    c.position(from).limit((int) Math.min(c.capacity(), from + length));
    return c;
  }

  @Override
  public byte[] read(long offset, int length) throws IOException {
    byte[] out = new byte[length];
    read(offset, ByteBuffer.wrap(out));
    return out;
  }

  @Override
  public void read(long offset, ByteBuffer dest) throws IOException {
    long at = offset;
    while (dest.hasRemaining()) {
      ByteBuffer v = view(at, dest.remaining());
      at += v.remaining();
      dest.put(v);
    }
  }

  @Override
  public void transferTo(long offset, int length, java.nio.channels.WritableByteChannel target) throws IOException {
    long at = offset;
    long end = offset + length;
    while (at < end) {
      ByteBuffer v = view(at, end - at);
      at += v.remaining();
      while (v.hasRemaining()) target.write(v);
    }
  }

  @Override
  public void write(long offset, ByteBuffer data, boolean fua) throws IOException {
    ByteBuffer src = data.duplicate();
    long at = offset;
    while (src.hasRemaining()) {
      ByteBuffer v = view(at, src.remaining());
      int n = v.remaining();
      ByteBuffer piece = src.slice().limit(n);
      v.put(piece);
      src.position(src.position() + n);
      at += n;
    }
  }

  @Override
  public void writeZeroes(long offset, long length, boolean fua) throws IOException {
    long at = offset;
    long end = offset + length;
    byte[] zeros = new byte[(int) Math.min(1 << 20, Math.max(1, length))];
    while (at < end) {
      ByteBuffer v = view(at, end - at);
      at += v.remaining();
      while (v.hasRemaining()) v.put(zeros, 0, Math.min(zeros.length, v.remaining()));
    }
  }

  /** Nothing to force: memory is as durable as it gets. */
  @Override
  public void flush() {
  }

  @Override
  public void close() {
    closed = true;
  }
}
