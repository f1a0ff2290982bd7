package io.rackshare.driver;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A removable-media drive (0062): a read-only block device whose medium, an image file or a
 * device such as {@code /dev/sr0}, is inserted and ejected while the blade runs. Each insertion
 * has an incarnation (a digest of the medium's path, size, modification time and file key, so the
 * same unchanged file inserted again is the same medium); a request made for one medium is served
 * only by {@link #holding} that medium, never by the one that replaced it.
 *
 * <p>Threads: {@link #insert} and {@link #eject} on the media driver's actor; reads on any thread
 * (lane readers, I/O threads). A read racing an eject fails with an I/O error (its channel closed).
 */
public final class MediaDrive implements BlockStore {

  /** A medium in the drive: its store, its name (as the operator gave it), its incarnation. */
  public record Medium(BlockStore store, String image, long size, String incarnation) {}

  private final int blockSize;
  private volatile Medium medium;

  public MediaDrive(int blockSize) {
    this.blockSize = blockSize;
  }

  /** The medium inserted now, or null. */
  public Medium medium() {
    return medium;
  }

  /** The incarnation of the medium inserted now, or null when the drive is empty. */
  public String incarnation() {
    Medium m = medium;
    return m == null ? null : m.incarnation();
  }

  /**
   * The inserted medium's store if it is the one named {@code incarnation}; null if the drive is
   * empty or holds another medium.
   */
  public BlockStore holding(String incarnation) {
    Medium m = medium;
    return m != null && m.incarnation().equals(incarnation) ? m.store() : null;
  }

  /**
   * Inserts {@code file} (read-only), known to operators as {@code image}, replacing any medium;
   * its size is rounded up to whole blocks (the rest reads as zeros). An unreadable file is a
   * clear {@link IOException} and the drive stays as it was.
   */
  public Medium insert(Path file, String image) throws IOException {
    long bytes = sizeOf(file);
    if (bytes <= 0) throw new IOException(image + " is empty");
    long size = (bytes + blockSize - 1) / blockSize * blockSize;
    Medium next = new Medium(new FileBlockStore(file, size, true), image, size, incarnationOf(file, bytes));
    Medium before = medium;
    medium = next;
    closeQuietly(before);
    return next;
  }

  /** Takes the medium out; requests for it fail from now on. */
  public void eject() {
    Medium before = medium;
    medium = null;
    closeQuietly(before);
  }

  /** The size of a file, or of a block device (whose channel says 0) from sysfs. */
  private static long sizeOf(Path file) throws IOException {
    long bytes = Files.size(file);
    if (bytes > 0 || !file.toString().startsWith("/dev/")) return bytes;
    Path sectors = Path.of("/sys/class/block", file.toRealPath().getFileName().toString(), "size");
    if (!Files.exists(sectors)) return 0;
    return Long.parseLong(Files.readString(sectors).trim()) * 512;
  }

  private static String incarnationOf(Path file, long bytes) throws IOException {
    var attrs = Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class);
    String identity = file.toRealPath() + "|" + bytes + "|" + attrs.lastModifiedTime().toMillis() + "|"
        + attrs.fileKey();
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(identity.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return "medium-" + HexFormat.of().formatHex(d, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void closeQuietly(Medium m) {
    if (m == null) return;
    try {
      m.store().close();
    } catch (IOException e) {
      // Nothing to flush on a read-only medium.
    }
  }

  private BlockStore current() throws IOException {
    Medium m = medium;
    if (m == null) throw new IOException("no medium in the drive");
    return m.store();
  }

  @Override
  public long size() {
    Medium m = medium;
    return m == null ? 0 : m.size();
  }

  @Override
  public byte[] read(long offset, int length) throws IOException {
    return current().read(offset, length);
  }

  @Override
  public void read(long offset, ByteBuffer dest) throws IOException {
    current().read(offset, dest);
  }

  @Override
  public void write(long offset, ByteBuffer data, boolean fua) throws IOException {
    throw new IOException("a removable medium is read-only");
  }

  @Override
  public void writeZeroes(long offset, long length, boolean fua) throws IOException {
    throw new IOException("a removable medium is read-only");
  }

  @Override
  public void flush() {
    // Nothing written, nothing to force.
  }

  @Override
  public void close() {
    eject();
  }
}
