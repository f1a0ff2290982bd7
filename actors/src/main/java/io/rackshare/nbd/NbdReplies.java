package io.rackshare.nbd;

import static io.rackshare.nbd.NbdProtocol.*;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The transmission phase's replies as bytes: simple replies, and the structured reply chunks a
 * client gets once it negotiated {@code NBD_OPT_STRUCTURED_REPLY} (reads, block status and their
 * errors). Pure functions; the connection's reader thread builds them, its writer thread sends
 * them.
 */
final class NbdReplies {
  private NbdReplies() {}

  /** A simple reply: {@code error} 0 for success. */
  static ByteBuffer simple(long handle, int error) {
    return ByteBuffer.allocate(16).putInt(SIMPLE_REPLY_MAGIC).putInt(error).putLong(handle).flip();
  }

  private static ByteBuffer chunk(long handle, short flags, short type, int length, int extra) {
    return ByteBuffer.allocate(20 + extra).putInt(STRUCTURED_REPLY_MAGIC).putShort(flags).putShort(type)
        .putLong(handle).putInt(length);
  }

  /**
   * The header of the one chunk that answers a whole READ: {@code NBD_REPLY_TYPE_OFFSET_DATA}
   * with the done flag, its offset, then {@code length} bytes of data (sent after it).
   */
  static ByteBuffer offsetData(long handle, long offset, int length) {
    return chunk(handle, REPLY_FLAG_DONE, REPLY_TYPE_OFFSET_DATA, 8 + length, 8).putLong(offset).flip();
  }

  /** A structured request done without data: {@code NBD_REPLY_TYPE_NONE} with the done flag. */
  static ByteBuffer done(long handle) {
    return chunk(handle, REPLY_FLAG_DONE, REPLY_TYPE_NONE, 0, 0).flip();
  }

  /** The final chunk of a failed structured request: {@code NBD_REPLY_TYPE_ERROR}. */
  static ByteBuffer error(long handle, int error, String message) {
    byte[] m = message.getBytes(StandardCharsets.UTF_8);
    if (m.length > 4096) m = java.util.Arrays.copyOf(m, 4096);
    return chunk(handle, REPLY_FLAG_DONE, REPLY_TYPE_ERROR, 6 + m.length, 6 + m.length).putInt(error)
        .putShort((short) m.length).put(m).flip();
  }

  /**
   * The block status of {@code [offset, offset + length)} in context {@code contextId}:
   * descriptors from {@code offset} on, data where {@code data} (sorted, disjoint ranges {@code
   * [start, end)} inside the request) says, holes reading as zeroes elsewhere; with {@code one},
   * only the first descriptor (NBD_CMD_FLAG_REQ_ONE). At most {@code max} descriptors; they may
   * end before the request does, as the protocol allows.
   */
  static ByteBuffer blockStatus(long handle, int contextId, long offset, long length, List<long[]> data, boolean one,
      int max) {
    List<int[]> extents = new java.util.ArrayList<>();
    long at = offset;
    long end = offset + length;
    for (long[] d : data) {
      long start = Math.max(d[0], at);
      long stop = Math.min(d[1], end);
      if (stop <= start) continue;
      if (start > at) extents.add(new int[] {(int) (start - at), STATE_HOLE | STATE_ZERO});
      extents.add(new int[] {(int) (stop - start), 0});
      at = stop;
    }
    if (at < end) extents.add(new int[] {(int) (end - at), STATE_HOLE | STATE_ZERO});
    int n = one ? 1 : Math.min(max, extents.size());
    ByteBuffer b = chunk(handle, REPLY_FLAG_DONE, REPLY_TYPE_BLOCK_STATUS, 4 + 8 * n, 4 + 8 * n).putInt(contextId);
    for (int i = 0; i < n; i++) b.putInt(extents.get(i)[0]).putInt(extents.get(i)[1]);
    return b.flip();
  }
}
