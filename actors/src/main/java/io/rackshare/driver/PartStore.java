package io.rackshare.driver;

import io.rackshare.io.Ranges;
import io.rackshare.map.Extent;
import io.rackshare.map.Part;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * One {@link Part} of a pooled disk as a device of its own: offset 0 of the part is the first
 * block of its first extent, and its extents follow one another (an LVM logical volume over its
 * physical extents). Every access is checked against the part's size before it reaches the
 * disk, so no request for one volume's part touches the blocks of another. Threads: any, as the
 * disk's store; it keeps no state of its own.
 */
public final class PartStore implements BlockStore {
  private final BlockStore disk;
  /** Per extent, in order: its first byte in the part, its first byte on the disk, its length. */
  private final long[] partStart;
  private final long[] diskStart;
  private final long[] length;
  private final long size;

  public PartStore(BlockStore disk, Part part, int blockSize) {
    this.disk = disk;
    List<Extent> extents = part.extents();
    partStart = new long[extents.size()];
    diskStart = new long[extents.size()];
    length = new long[extents.size()];
    long at = 0;
    for (int i = 0; i < extents.size(); i++) {
      Extent e = extents.get(i);
      partStart[i] = at;
      diskStart[i] = e.deviceBlock() * blockSize;
      length[i] = e.blockCount() * blockSize;
      if (diskStart[i] + length[i] > disk.size()) {
        throw new IllegalArgumentException(part.path() + ": extent " + e + " lies past the end of " + e.device()
            + " (" + disk.size() + " bytes)");
      }
      at += length[i];
    }
    this.size = at;
  }

  /** What to do with one piece of a request: {@code n} bytes at {@code diskOffset}, {@code from} bytes into it. */
  private interface Piece {
    void run(long diskOffset, long from, int n) throws IOException;
  }

  /** Runs {@code piece} for each extent's share of {@code [offset, offset + len)}, in order. */
  private void each(long offset, long len, Piece piece) throws IOException {
    if (!Ranges.fits(offset, len, size)) {
      throw new IOException("bytes " + offset + "+" + len + " are not inside this part of " + size + " bytes");
    }
    int i = find(offset);
    long done = 0;
    while (done < len) {
      long within = offset + done - partStart[i];
      int n = (int) Math.min(len - done, Math.min(length[i] - within, Integer.MAX_VALUE));
      piece.run(diskStart[i] + within, done, n);
      done += n;
      if (within + n == length[i]) i++;
    }
  }

  /** The extent that holds part byte {@code offset}. */
  private int find(long offset) {
    int lo = 0;
    int hi = partStart.length - 1;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (partStart[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public byte[] read(long offset, int len) throws IOException {
    byte[] out = new byte[len];
    each(offset, len, (d, from, n) -> disk.read(d, ByteBuffer.wrap(out, (int) from, n).slice()));
    return out;
  }

  @Override
  public void read(long offset, ByteBuffer dest) throws IOException {
    int start = dest.position();
    each(offset, dest.remaining(), (d, from, n) -> {
      ByteBuffer into = dest.duplicate();
      into.position(start + (int) from).limit(start + (int) from + n);
      disk.read(d, into);
    });
    dest.position(dest.limit());
  }

  @Override
  public void write(long offset, ByteBuffer data, boolean fua) throws IOException {
    int start = data.position();
    each(offset, data.remaining(), (d, from, n) -> {
      ByteBuffer piece = data.duplicate();
      piece.position(start + (int) from).limit(start + (int) from + n);
      disk.write(d, piece, fua);
    });
    data.position(data.limit());
  }

  @Override
  public void transferTo(long offset, int len, WritableByteChannel target) throws IOException {
    each(offset, len, (d, from, n) -> disk.transferTo(d, n, target));
  }

  @Override
  public void writeZeroes(long offset, long len, boolean fua) throws IOException {
    each(offset, len, (d, from, n) -> disk.writeZeroes(d, n, fua));
  }

  @Override
  public List<long[]> allocated(long offset, long len) throws IOException {
    List<long[]> out = new ArrayList<>();
    each(offset, len, (d, from, n) -> {
      for (long[] r : disk.allocated(d, n)) {
        long a = offset + from + (r[0] - d);
        long b = offset + from + (r[1] - d);
        if (!out.isEmpty() && out.get(out.size() - 1)[1] == a) out.get(out.size() - 1)[1] = b;
        else out.add(new long[] {a, b});
      }
    });
    return out;
  }

  @Override
  public void flush() throws IOException {
    disk.flush();
  }

  /** Nothing to close: the disk belongs to its driver. */
  @Override
  public void close() {}
}
