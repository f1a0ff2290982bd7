package io.rackshare.driver;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** A disk file or block device through a {@link FileChannel} (positional calls are thread-safe). */
public final class FileBlockStore implements BlockStore {

  private static final ByteBuffer ZEROES = ByteBuffer.allocateDirect(1 << 20).asReadOnlyBuffer();

  private final FileChannel channel;
  private final long size;
  /** Holes punched for zeros and found for block status; null where the file cannot have them. */
  private final FileHoles holes;
  private final boolean readOnly;

  public FileBlockStore(Path file, long size) throws IOException {
    this(file, size, false);
  }

  /**
   * {@code file} as a device of {@code size} bytes (reading zeros past the file's end); {@code
   * readOnly}: opened for reading only, every write refused (removable media).
   */
  public FileBlockStore(Path file, long size, boolean readOnly) throws IOException {
    this.channel = readOnly ? FileChannel.open(file, StandardOpenOption.READ)
        : FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
    this.size = size;
    this.readOnly = readOnly;
    this.holes = readOnly ? null : FileHoles.open(file);
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public byte[] read(long offset, int length) throws IOException {
    byte[] out = new byte[length];
    read(offset, ByteBuffer.wrap(out));
    return out;
  }

  @Override
  public void read(long offset, ByteBuffer dest) throws IOException {
    check(offset, dest.remaining());
    long pos = offset;
    while (dest.hasRemaining()) {
      int n = channel.read(dest, pos);
      if (n < 0) {
        // Past the end of a sparse file: the rest reads as zeros.
        while (dest.hasRemaining()) dest.put((byte) 0);
        break;
      }
      pos += n;
    }
  }

  /** sendfile(2): the bytes go from the page cache to the socket without passing the heap. */
  @Override
  public void transferTo(long offset, int length, java.nio.channels.WritableByteChannel target)
      throws IOException {
    check(offset, length);
    long pos = offset;
    long end = offset + length;
    while (pos < end) {
      long n = channel.transferTo(pos, end - pos, target);
      if (n <= 0) {
        // Past the end of a file that shrank underneath us: keep the stream whole with zeros.
        ByteBuffer z = ZEROES.duplicate();
        z.limit((int) Math.min(z.capacity(), end - pos));
        n = target.write(z);
      }
      pos += n;
    }
  }

  @Override
  public void write(long offset, ByteBuffer data, boolean fua) throws IOException {
    writable();
    check(offset, data.remaining());
    ByteBuffer buf = data.duplicate();
    long pos = offset;
    while (buf.hasRemaining()) pos += channel.write(buf, pos);
    if (fua) channel.force(false);
  }

  @Override
  public void writeZeroes(long offset, long length, boolean fua) throws IOException {
    writable();
    check(offset, length);
    if (length > 0 && holes != null && holes.punch(offset, length)) {
      if (fua) channel.force(false);
      return;
    }
    long pos = offset;
    long end = offset + length;
    while (pos < end) {
      ByteBuffer buf = ZEROES.duplicate();
      buf.limit((int) Math.min(buf.capacity(), end - pos));
      while (buf.hasRemaining()) pos += channel.write(buf, pos);
    }
    if (fua) channel.force(false);
  }

  private void writable() throws IOException {
    if (readOnly) throw new IOException("the device is read-only");
  }

  /** Past the device's end a write would grow the file, and an end that overflows would wrap around. */
  private void check(long offset, long length) throws IOException {
    if (!inRange(offset, length)) {
      throw new IOException("bytes " + offset + "+" + length + " are outside the device (" + size + " bytes)");
    }
  }

  @Override
  public java.util.List<long[]> allocated(long offset, long length) throws IOException {
    check(offset, length);
    java.util.List<long[]> data = holes == null ? null : holes.data(offset, length);
    return data != null ? data : BlockStore.super.allocated(offset, length);
  }

  @Override
  public void flush() throws IOException {
    if (!readOnly) channel.force(false);
  }

  @Override
  public void close() throws IOException {
    if (holes != null) holes.close();
    channel.close();
  }
}
