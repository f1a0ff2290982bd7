package io.rackshare.example.log;

import io.rackshare.access.BlockDevice;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * Recovers the log from the volume: reads it from the start, record after record, until the
 * first position that holds no valid record with the next sequence number (see {@link
 * RecordFormat}). Everything before that position is the log; a torn or corrupt record ends it
 * there, and the next append overwrites it. Then it seals the log's tail:
 *
 * <p>A write in flight when the writer's blade died may have reached one copy of a raid1 and not
 * the other, and a later read may go to either copy. That write lies within {@link
 * RecordFormat#MAX_WRITE} bytes before the end found and as many after it, so the records found
 * there are written again as they were read (every copy then holds them), and the bytes after the
 * end are zeroed (no copy keeps a record of that write beyond the end). Blocking: run it off the
 * actors' threads.
 */
public final class LogRecovery {

  /** How much is read at once. */
  static final int CHUNK = 1 << 20;

  private final BlockDevice device;
  private final Duration timeout;

  /**
   * A recovery of the log on {@code device}.
   *
   * @param device the volume
   * @param timeout how long one read or write may take
   */
  public LogRecovery(BlockDevice device, Duration timeout) {
    this.device = device;
    this.timeout = timeout;
  }

  /** Reads the log, seals its tail, and returns its index. */
  public LogIndex recover() throws Exception {
    LogIndex index = new LogIndex();
    // The records found within MAX_WRITE bytes of the end so far, as read.
    ArrayDeque<byte[]> tail = new ArrayDeque<>();
    long tailStart = 0;
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
      byte[] record = new byte[recordSize];
      chunk.get((int) (at - chunkStart), record);
      tail.add(record);
      index.add(recordSize);
      while (tailStart < index.end() - RecordFormat.MAX_WRITE) tailStart += tail.poll().length;
    }
    seal(tail, tailStart, index.end());
    return index;
  }

  /** Writes {@code tail} (the records from {@code tailStart} to {@code end}) again, and zeros after {@code end}. */
  private void seal(ArrayDeque<byte[]> tail, long tailStart, long end) throws Exception {
    if (!tail.isEmpty()) {
      ByteBuffer records = ByteBuffer.allocate((int) (end - tailStart));
      tail.forEach(records::put);
      await(device.write(tailStart, records.flip(), true));
    }
    long zeros = Math.min(RecordFormat.MAX_WRITE, device.size() - end);
    if (zeros > 0) await(device.writeZeroes(end, zeros, true));
  }

  private ByteBuffer read(long offset, int length) throws Exception {
    return ByteBuffer.wrap(await(device.read(offset, length)));
  }

  private <T> T await(CompletionStage<T> io) throws Exception {
    return io.toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }
}
