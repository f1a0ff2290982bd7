package io.rackshare.example.log;

import java.util.Arrays;

/**
 * Where each record of the log starts on the volume, and where the log ends (the next record's
 * offset). Kept by the {@link LogWriter} only, in memory: at most one entry per 4 KiB of the
 * volume. Not thread-safe.
 */
public final class LogIndex {

  private long[] offsets = new long[64];
  private int count;
  private long end;

  /** The number of records, which is also the next record's sequence number. */
  public long count() {
    return count;
  }

  /** The offset after the last record: where the next one goes. */
  public long end() {
    return end;
  }

  /** The offset of record {@code seq} ({@code 0 <= seq <= count}; {@code count} gives {@link #end}). */
  public long offset(long seq) {
    if (seq < 0 || seq > count) throw new IndexOutOfBoundsException("no record " + seq + " (count " + count + ")");
    return seq == count ? end : offsets[(int) seq];
  }

  /** Adds the next record, of {@code size} bytes on the volume, at {@link #end}. */
  public void add(int size) {
    if (count == offsets.length) offsets = Arrays.copyOf(offsets, count * 2);
    offsets[count++] = end;
    end += size;
  }
}
