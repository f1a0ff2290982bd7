package io.rackshare.example.log;

import io.rackshare.access.BlockDevice;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Recovers the log from the volume: reads it from the start, record after record, until the
 * first position that holds no valid record with the next sequence number (see {@link
 * RecordFormat}). Everything before that position is the log; a torn or corrupt record ends it
 * there, and the next append overwrites it. Blocking: run it off the actors' threads.
 */
public final class LogRecovery {

  /** How much is read at once. */
  static final int CHUNK = 1 << 20;

  private final BlockDevice device;
  private final Duration readTimeout;

  /**
   * A recovery of the log on {@code device}.
   *
   * @param device the volume
   * @param readTimeout how long one read may take
   */
  public LogRecovery(BlockDevice device, Duration readTimeout) {
    this.device = device;
    this.readTimeout = readTimeout;
  }

  /** Reads the log and returns its index. */
  public LogIndex recover() throws Exception {
    LogIndex index = new LogIndex();
    long size = device.size();
    long chunkStart = 0;
    ByteBuffer chunk = ByteBuffer.allocate(0);
    while (index.end() + RecordFormat.HEADER <= size) {
      long at = index.end();
      if (at + RecordFormat.HEADER > chunkStart + chunk.limit()) {
        chunkStart = at;
        chunk = read(at, (int) Math.min(CHUNK, size - at));
      }
      int length = RecordFormat.payloadLength(chunk, (int) (at - chunkStart), index.count());
      if (length < 0) break;
      int recordSize = RecordFormat.size(length);
      if (at + recordSize > size) break;
      if (at + recordSize > chunkStart + chunk.limit()) {
        chunkStart = at;
        chunk = read(at, (int) Math.min(Math.max(CHUNK, recordSize), size - at));
      }
      if (RecordFormat.decode(chunk, (int) (at - chunkStart), index.count()).isEmpty()) break;
      index.add(recordSize);
    }
    return index;
  }

  private ByteBuffer read(long offset, int length) throws Exception {
    return ByteBuffer.wrap(device.read(offset, length).toCompletableFuture()
        .get(readTimeout.toMillis(), TimeUnit.MILLISECONDS));
  }
}
