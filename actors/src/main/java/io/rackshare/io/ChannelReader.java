package io.rackshare.io;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/**
 * Reads big-endian fields and payloads from a channel through one direct buffer, so that payloads
 * land in their destination with a single copy out of the kernel (a heap buffer would be copied
 * through a temporary direct buffer first). Fields are read ahead by at most {@link #READ_AHEAD}
 * bytes, so that a large payload behind a header mostly goes straight to its destination instead
 * of through this buffer (an extra copy in Java), while small requests still arrive several to a
 * system call.
 */
public final class ChannelReader {
  static final int READ_AHEAD = 16 * 1024;

  private final ReadableByteChannel ch;
  private final ByteBuffer buf;

  public ChannelReader(ReadableByteChannel ch, int bufferSize) {
    this.ch = ch;
    this.buf = ByteBuffer.allocateDirect(bufferSize);
    buf.flip(); // empty
  }

  private void need(int n) throws IOException {
    if (buf.remaining() >= n) return;
    buf.compact();
    buf.limit(Math.min(buf.capacity(), Math.max(n, buf.position() + READ_AHEAD)));
    while (buf.position() < n) {
      if (ch.read(buf) < 0) throw new EOFException();
    }
    buf.flip();
  }

  public byte readByte() throws IOException {
    need(1);
    return buf.get();
  }

  public short readShort() throws IOException {
    need(2);
    return buf.getShort();
  }

  public int readInt() throws IOException {
    need(4);
    return buf.getInt();
  }

  public long readLong() throws IOException {
    need(8);
    return buf.getLong();
  }

  /** Fills {@code dest} completely: what is buffered first, then straight from the channel. */
  public void readFully(ByteBuffer dest) throws IOException {
    if (buf.hasRemaining()) {
      int n = Math.min(buf.remaining(), dest.remaining());
      ByteBuffer slice = buf.slice();
      slice.limit(n);
      dest.put(slice);
      buf.position(buf.position() + n);
    }
    while (dest.hasRemaining()) {
      if (ch.read(dest) < 0) throw new EOFException();
    }
  }

  public void readFully(byte[] dest) throws IOException {
    readFully(ByteBuffer.wrap(dest));
  }

  /** Bytes read from the channel and not yet taken. */
  public int buffered() {
    return buf.remaining();
  }

  /** Waits until at least one byte is buffered (without taking it). */
  public void awaitData() throws IOException {
    need(1);
  }

  /** Reads and drops {@code n} bytes. */
  public void skip(long n) throws IOException {
    while (n > 0) {
      need(1);
      int k = (int) Math.min(n, buf.remaining());
      buf.position(buf.position() + k);
      n -= k;
    }
  }
}
