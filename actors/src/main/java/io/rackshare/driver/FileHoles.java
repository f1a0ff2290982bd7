package io.rackshare.driver;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jnr.ffi.LibraryLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holes in a disk file, through the C library (JNR-FFI): {@code fallocate(PUNCH_HOLE)} gives a
 * zeroed range's blocks back to the file system (it then reads as zeros), and {@code
 * lseek(SEEK_DATA / SEEK_HOLE)} tells which ranges hold data, so that NBD block status reports
 * holes and copies skip them. Linux only; where the C library, the file system or the device
 * cannot, {@link #open} says so by returning null and callers write zeros and report data.
 * Thread-safe; finding data moves its own descriptor's offset, so that is serialised.
 */
final class FileHoles implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FileHoles.class);

  /** The calls of the C library used here. */
  public interface LibC {
    int open(String path, int flags);

    int close(int fd);

    int fallocate(int fd, int mode, long offset, long length);

    long lseek(int fd, long offset, int whence);
  }

  private static final int O_RDWR = 2;
  private static final int O_CLOEXEC = 0x80000;
  private static final int FALLOC_FL_KEEP_SIZE = 1;
  private static final int FALLOC_FL_PUNCH_HOLE = 2;
  private static final int SEEK_DATA = 3;
  private static final int SEEK_HOLE = 4;
  private static final int ENXIO = 6;

  private static final LibC LIBC = load();

  private static LibC load() {
    if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) return null;
    try {
      return LibraryLoader.create(LibC.class).load("c");
    } catch (RuntimeException | LinkageError e) {
      log.info("no holes in disk files (the C library is not reachable: {}); zeros are written", e.toString());
      return null;
    }
  }

  private final int fd;
  private final Path file;
  /**
   * Native calls hold it shared, {@link #close} exclusively: a descriptor number closed under a
   * call could be another file's by then.
   */
  private final java.util.concurrent.locks.ReadWriteLock lock = new java.util.concurrent.locks.ReentrantReadWriteLock();
  private boolean closed;

  private FileHoles(int fd, Path file) {
    this.fd = fd;
    this.file = file;
  }

  /** Holes in {@code file}, or null where they cannot be made here (zeros are then written). */
  static FileHoles open(Path file) {
    if (LIBC == null) return null;
    int fd = LIBC.open(file.toString(), O_RDWR | O_CLOEXEC);
    return fd < 0 ? null : new FileHoles(fd, file);
  }

  private static int errno() {
    return jnr.ffi.Runtime.getRuntime(LIBC).getLastError();
  }

  private volatile boolean cannotPunch;

  /**
   * Makes {@code [offset, offset + length)} read as zeros, its whole blocks holes; false if it
   * could not (a file system without holes: said once, and not tried again).
   */
  boolean punch(long offset, long length) {
    if (cannotPunch) return false;
    int e;
    lock.readLock().lock();
    try {
      if (closed) return false;
      if (LIBC.fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length) == 0) return true;
      e = errno();
    } finally {
      lock.readLock().unlock();
    }
    if (e == 95) { // EOPNOTSUPP
      cannotPunch = true;
      log.info("no holes in {} (its file system cannot punch them); zeros are written", file);
    }
    return false;
  }

  /**
   * The ranges of {@code [offset, offset + length)} that hold data, sorted; null if the file
   * system cannot say (then everything counts as data).
   */
  synchronized List<long[]> data(long offset, long length) {
    lock.readLock().lock();
    try {
      return closed ? null : dataLocked(offset, length);
    } finally {
      lock.readLock().unlock();
    }
  }

  private List<long[]> dataLocked(long offset, long length) {
    long end = offset + length;
    List<long[]> out = new ArrayList<>();
    long at = offset;
    while (at < end) {
      long start = LIBC.lseek(fd, at, SEEK_DATA);
      if (start < 0) {
        if (errno() == ENXIO) break; // no data from here to the end of the file
        return null;
      }
      if (start >= end) break;
      long stop = LIBC.lseek(fd, start, SEEK_HOLE);
      if (stop < 0) return null;
      out.add(new long[] {start, Math.min(stop, end)});
      at = stop;
    }
    return out;
  }

  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      if (!closed) LIBC.close(fd);
      closed = true;
    } finally {
      lock.writeLock().unlock();
    }
  }

  @Override
  public String toString() {
    return "FileHoles(" + file + ")";
  }
}
