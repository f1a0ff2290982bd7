package io.rackshare.example.log;

import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * How a record lies on the volume: self-describing, so that the log is recovered by reading it
 * from the start.
 *
 * <pre>
 * offset  size  field
 *      0     4  magic "RSL1" (0x52534C31)
 *      4     8  sequence number (big-endian; the first record is 0, each next one +1)
 *     12     4  payload length in bytes (0 &lt; length &lt;= {@link #MAX_PAYLOAD})
 *     16     4  CRC32C of bytes 0-15 and of the payload
 *     20     n  payload
 *   20+n        zeros up to the next multiple of {@link #BLOCK} bytes
 * </pre>
 *
 * A record is valid at a position when its magic, its sequence number (the one expected there),
 * its length and its checksum are right; the first position where none is, is the log's end.
 */
public final class RecordFormat {

  /** The alignment of every record: a record starts on a 4 KiB boundary of the volume. */
  public static final int BLOCK = 4096;
  /** The header's size. */
  public static final int HEADER = 20;
  /** The largest payload the format allows (a service may allow less: {@code log-service.max-record-size}). */
  public static final int MAX_PAYLOAD = 1 << 20;
  /**
   * The most bytes the writer writes at once (one batch of records): recovery rewrites and zeroes
   * as much around the log's end ({@link LogRecovery}).
   */
  public static final int MAX_WRITE = 2 << 20;
  /** "RSL1". */
  public static final int MAGIC = 0x52534C31;

  private RecordFormat() {}

  /** The bytes a record with {@code payloadLength} bytes takes on the volume: a multiple of {@link #BLOCK}. */
  public static int size(int payloadLength) {
    return (HEADER + payloadLength + BLOCK - 1) / BLOCK * BLOCK;
  }

  /** {@code record} as it lies on the volume ({@link #size} bytes). */
  public static byte[] encode(LogRecord record) {
    int length = record.payload().length;
    if (length == 0 || length > MAX_PAYLOAD) {
      throw new IllegalArgumentException("a record has 1 to " + MAX_PAYLOAD + " bytes, got " + length);
    }
    ByteBuffer b = ByteBuffer.allocate(size(length));
    b.putInt(MAGIC).putLong(record.seq()).putInt(length);
    b.putInt(crc(b.array(), record.payload()));
    b.put(record.payload());
    return b.array();
  }

  /**
   * The payload length in the header at {@code position} of {@code bytes} (at least {@link
   * #HEADER} bytes there), or -1 when that is no record's header with sequence number {@code
   * seq}: the record then needs {@link #size}{@code (length)} bytes to be {@link #decode}d.
   */
  public static int payloadLength(ByteBuffer bytes, int position, long seq) {
    if (bytes.limit() - position < HEADER) return -1;
    if (bytes.getInt(position) != MAGIC || bytes.getLong(position + 4) != seq) return -1;
    int length = bytes.getInt(position + 12);
    return length > 0 && length <= MAX_PAYLOAD ? length : -1;
  }

  /**
   * The record with sequence number {@code seq} at {@code position} of {@code bytes}, or empty
   * when there is none there (wrong magic, sequence number or length, too few bytes, or a
   * checksum that does not match: a torn or corrupt record).
   */
  public static Optional<LogRecord> decode(ByteBuffer bytes, int position, long seq) {
    int length = payloadLength(bytes, position, seq);
    if (length < 0 || bytes.limit() - position < HEADER + length) return Optional.empty();
    byte[] header = new byte[16];
    bytes.get(position, header);
    byte[] payload = new byte[length];
    bytes.get(position + HEADER, payload);
    if (bytes.getInt(position + 16) != crc(header, payload)) return Optional.empty();
    return Optional.of(new LogRecord(seq, payload));
  }

  /** CRC32C of the first 16 bytes of {@code header} and of {@code payload}. */
  private static int crc(byte[] header, byte[] payload) {
    CRC32C crc = new CRC32C();
    crc.update(header, 0, 16);
    crc.update(payload);
    return (int) crc.getValue();
  }
}
