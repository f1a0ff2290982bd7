package io.rackshare.node.vm;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes a cpio archive in the "newc" format (the kernel's initramfs format, as {@code cpio -H
 * newc} writes it): per entry a 110-byte ASCII header of hexadecimal fields, the name with its NUL,
 * padding to 4 bytes, the data, padding to 4 bytes; a {@code TRAILER!!!} entry ends it. Entries
 * belong to root, dated 0, each with its own inode number. Not thread-safe.
 */
public final class CpioArchive implements AutoCloseable {
  private static final int DIRECTORY = 0040000;
  private static final int REGULAR = 0100000;
  private static final int SYMLINK = 0120000;

  private final OutputStream out;
  private long written;
  private int inode = 1;
  private boolean closed;

  /** Writes to {@code out} (e.g. a {@link java.util.zip.GZIPOutputStream}), which {@link #close} closes. */
  public CpioArchive(OutputStream out) {
    this.out = out;
  }

  /** A directory {@code name} (no leading slash, e.g. {@code lib/modules}). */
  public void directory(String name, int permissions) throws IOException {
    entry(name, DIRECTORY | permissions, 2, new byte[0]);
  }

  /** A regular file {@code name} holding {@code data}. */
  public void file(String name, int permissions, byte[] data) throws IOException {
    entry(name, REGULAR | permissions, 1, data);
  }

  /** A symbolic link {@code name} pointing at {@code target}. */
  public void symlink(String name, String target) throws IOException {
    entry(name, SYMLINK | 0777, 1, target.getBytes(StandardCharsets.UTF_8));
  }

  private void entry(String name, int mode, int links, byte[] data) throws IOException {
    if (closed) throw new IllegalStateException("the archive is closed");
    if (name.isEmpty() || name.startsWith("/")) throw new IllegalArgumentException("a relative name, not '" + name + "'");
    byte[] n = (name + "\0").getBytes(StandardCharsets.UTF_8);
    StringBuilder h = new StringBuilder("070701");
    for (long field : new long[] {inode++, mode, 0, 0, links, 0, data.length, 0, 0, 0, 0, n.length, 0}) {
      h.append(String.format("%08x", field));
    }
    write(h.toString().getBytes(StandardCharsets.US_ASCII));
    write(n);
    pad();
    write(data);
    pad();
  }

  private void write(byte[] b) throws IOException {
    out.write(b);
    written += b.length;
  }

  private void pad() throws IOException {
    while (written % 4 != 0) write(new byte[1]);
  }

  /** Writes the trailer and closes the stream. */
  @Override
  public void close() throws IOException {
    if (closed) return;
    entry("TRAILER!!!", 0, 1, new byte[0]);
    closed = true;
    out.close();
  }
}
