package io.rackshare.example.log;

import java.util.Arrays;

/**
 * One record of the log: its sequence number (0, 1, 2, ... in the order the writer appended
 * them) and its bytes.
 *
 * @param seq its sequence number
 * @param payload its bytes (not copied: do not change them)
 */
public record LogRecord(long seq, byte[] payload) implements JsonSerializable {

  @Override
  public boolean equals(Object o) {
    return o instanceof LogRecord r && r.seq == seq && Arrays.equals(r.payload, payload);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(seq) * 31 + Arrays.hashCode(payload);
  }

  @Override
  public String toString() {
    return "LogRecord[seq=" + seq + ", " + payload.length + " bytes]";
  }
}
