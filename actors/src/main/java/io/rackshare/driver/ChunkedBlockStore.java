package io.rackshare.driver;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * A block device held in byte buffers of at most {@link #CHUNK} bytes each, back to back: shared
 * memory ({@link MemoryBlockStore}) or a memory-mapped file ({@link MappedBlockStore}). Reads and
 * writes copy between the caller's buffer and the chunks.
 *
 * <p>Threads: any; each call works on its own views of the chunks. A read concurrent with a write
 * of the same bytes sees either, as on a disk.
 */
abstract class ChunkedBlockStore implements BlockStore {

  /** Bytes per chunk: a buffer holds at most 2 GiB; smaller chunks fail earlier and cleaner. */
  static final int CHUNK = 64 << 20;

  private final long size;
  final List<? extends ByteBuffer> chunks;
  private volatile boolean closed;

  ChunkedBlockStore(long size, List<? extends ByteBuffer> chunks) {
    this.size = size;
    this.chunks = chunks;
  }

  @Override
  public long size() {
    return size;
  }

  /** A view of chunk {@code offset / CHUNK} from {@code offset}, at most {@code length} bytes long. */
  ByteBuffer view(long offset, long length) throws IOException {
    if (closed) throw new IOException("device closed");
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
      v.put(src.slice().limit(n));
      src.position(src.position() + n);
      at += n;
    }
    if (fua) force(offset, data.remaining());
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
    if (fua) force(offset, length);
  }

  /** Makes {@code [offset, offset + length)} as durable as this device can (FUA). */
  abstract void force(long offset, long length) throws IOException;

  @Override
  public void flush() throws IOException {
    force(0, size);
  }

  @Override
  public void close() throws IOException {
    closed = true;
  }
}
