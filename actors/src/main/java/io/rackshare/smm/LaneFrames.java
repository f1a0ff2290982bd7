package io.rackshare.smm;

import io.rackshare.io.ChannelReader;
import io.rackshare.io.DirectBufferPool;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The data lane's frame codec. Each frame is {@code int length, byte type, long id, int
 * headerLength, header, payload}, big-endian, where {@code length} counts everything after itself
 * and is at most {@link #MAX_FRAME}. Pure functions over a connection's streams; any thread.
 */
final class LaneFrames {
  private LaneFrames() {}

  /** The largest frame either side accepts. */
  static final int MAX_FRAME = 64 << 20;
  /** A server connection's reused request buffer: a 1 MiB payload and its header fit. */
  static final int REUSED_PAYLOAD = (1 << 20) + 4096;

  static DataLane.Frame error(String message) {
    return new DataLane.Frame(DataLane.TYPE_LANE_ERROR, ByteBuffer.wrap(message.getBytes(StandardCharsets.UTF_8)),
        ByteBuffer.allocate(0));
  }


  /**
   * Reads the rest of a frame. With {@code reuse}, a payload that fits lands in it (valid until
   * the next frame); a large one may land in a buffer of {@code pool}; otherwise in a new heap
   * array.
   */
  static DataLane.Frame readBody(ChannelReader in, int length, byte type, ByteBuffer reuse,
      DirectBufferPool pool) throws IOException {
    if (length < 13 || length > MAX_FRAME) throw new IOException("bad frame length " + length);
    int headerLength = in.readInt();
    int payloadLength = length - 13 - headerLength;
    if (headerLength < 0 || payloadLength < 0) throw new IOException("bad header length " + headerLength);
    ByteBuffer header = ByteBuffer.allocate(headerLength);
    in.readFully(header);
    ByteBuffer payload;
    if (reuse != null && payloadLength <= reuse.capacity()) {
      payload = reuse.clear().limit(payloadLength);
      in.readFully(payload);
      payload.flip();
    } else {
      ByteBuffer pooled = pool != null && payloadLength > 64 * 1024 ? pool.acquire(payloadLength) : null;
      payload = pooled != null ? pooled : ByteBuffer.allocate(payloadLength);
      in.readFully(payload);
      payload.flip();
    }
    return new DataLane.Frame(type, header.flip(), payload);
  }

  static void write(LaneConnection c, byte type, long id, DataLane.Frame f) throws IOException {
    write(c, type, id, f, true);
  }

  /** Writes a frame; without {@code flush} it may wait in the connection's buffer for {@link LaneConnection#flush}. */
  static void write(LaneConnection c, byte type, long id, DataLane.Frame f, boolean flush) throws IOException {
    ByteBuffer h = f.header().duplicate();
    ByteBuffer p = f.transfer() != null ? ByteBuffer.allocate(0) : f.payload().duplicate();
    long size = 13L + h.remaining() + f.payloadSize();
    if (size > MAX_FRAME) throw new IOException("frame of " + size + " bytes is too large");
    ByteBuffer start = ByteBuffer.allocate(17);
    start.putInt((int) size).put(type).putLong(id).putInt(h.remaining()).flip();
    c.write(new ByteBuffer[] {start, h, p}, f.transfer(), flush);
  }
}
