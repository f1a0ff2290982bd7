package io.rackshare.access;

import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.DeviceSegment;
import io.rackshare.smm.DataLane.Frame;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Block requests and replies as data-lane frames. Every request names the volume and the map
 * epoch the requester routed it with, so that the target can verify it really holds that piece
 * (0081, block 714) before serving it.
 */
final class BlockFrames {
  private BlockFrames() {}

  static final byte READ = 1;
  static final byte WRITE = 2;
  static final byte ZERO = 3;
  static final byte FLUSH = 4;
  /** To a parity stripe's coordinator: write (or zero) volume bytes of the stripe. */
  static final byte STRIPE_WRITE = 5;
  /** To a parity stripe's coordinator: read volume bytes whose own device cannot be read. */
  static final byte STRIPE_READ = 6;
  /** To a parity stripe's coordinator: recompute a member's chunk bytes from the rest. */
  static final byte STRIPE_REBUILD = 7;
  /**
   * manager-proxy routing: a volume request (by volume offset, not device) to the manager's blade,
   * which routes it with its map. The header's first byte says which: {@link #READ}, {@link
   * #WRITE}, {@link #ZERO} or {@link #FLUSH}.
   */
  static final byte PROXY = 8;
  /**
   * To an in-sync copy: which regions of it were written since a copy failed ({@link
   * DirtyRegions}); answered with {@link #DATA}, see {@link #regions}.
   */
  static final byte MISSED = 9;
  static final byte DATA = 10;
  static final byte DONE = 11;
  static final byte IO_FAILURE = 12;
  static final byte WRONG_TARGET = 13;
  /** A request failed for a reason with an {@link IoError} (a coordinator's final answer). */
  static final byte FAILED = 14;
  /**
   * Which ranges of a device segment hold data (block status; the rest reads as zeros): checked
   * as a read, answered as a {@link #regions} frame of device offsets.
   */
  static final byte STATUS = 15;

  private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

  /** A decoded request: a segment (reads, writes, zeroes) or a device (flushes). */
  record Request(byte type, String volume, long epoch, DeviceSegment segment, DevicePath device,
      boolean fua, boolean rebuild, ByteBuffer data) {}

  static Frame segment(byte type, String volume, long epoch, DeviceSegment s, boolean fua, ByteBuffer data) {
    return segment(type, volume, epoch, s, fua, data, false);
  }

  /**
   * A request for a device segment. {@code rebuild} marks a rebuild's own write to the member it
   * rebuilds, which must not wait for the rebuild's lock on that range (honoured only from the
   * blade itself), and a rebuild's or move's read of its source, which waits for the source's
   * writes of older epochs ({@link WritesInFlight}).
   */
  static Frame segment(byte type, String volume, long epoch, DeviceSegment s, boolean fua, ByteBuffer data,
      boolean rebuild) {
    byte[] v = utf8(volume);
    byte[] kind = utf8(s.device().kind());
    ByteBuffer h = ByteBuffer.allocate(2 + v.length + 8 + 14 + kind.length + 4 + 8 + 8 + 4 + 1);
    putString(h, v).putLong(epoch);
    putDevice(h, s.device(), kind).putLong(s.deviceOffset()).putLong(s.volumeOffset()).putInt(s.length())
        .put((byte) ((fua ? 1 : 0) | (rebuild ? 2 : 0)));
    return new Frame(type, h.flip(), data == null ? EMPTY : data);
  }

  /**
   * A request to a stripe's coordinator. {@code offset} is a volume offset (write, read) or the
   * device offset of member {@code position}'s bytes (rebuild).
   */
  record StripeRequest(byte type, String volume, long epoch, long stripe, long offset, int length,
      int position, boolean fua, boolean zero, ByteBuffer data) {}

  static Frame stripe(byte type, String volume, long epoch, long stripe, long offset, int length, int position,
      boolean fua, boolean zero, ByteBuffer data) {
    byte[] v = utf8(volume);
    ByteBuffer h = ByteBuffer.allocate(2 + v.length + 8 + 8 + 8 + 4 + 4 + 1);
    putString(h, v).putLong(epoch).putLong(stripe).putLong(offset).putInt(length).putInt(position)
        .put((byte) ((fua ? 1 : 0) | (zero ? 2 : 0)));
    return new Frame(type, h.flip(), data == null ? EMPTY : data);
  }

  /** Decodes a stripe request; a malformed one is an {@link IllegalArgumentException}. */
  static StripeRequest decodeStripe(Frame f) {
    try {
      ByteBuffer h = f.header().duplicate();
      String volume = getString(h);
      long epoch = h.getLong();
      long stripe = h.getLong();
      long offset = h.getLong();
      int length = h.getInt();
      int position = h.getInt();
      byte flags = h.get();
      boolean zero = (flags & 2) != 0;
      if (stripe < 0 || offset < 0 || length <= 0) {
        throw new IllegalArgumentException("bad stripe request: stripe " + stripe + " offset " + offset
            + " length " + length);
      }
      if (f.type() == STRIPE_WRITE && !zero && f.payload().remaining() != length) {
        throw new IllegalArgumentException("stripe write of " + f.payload().remaining() + " bytes for " + length);
      }
      return new StripeRequest(f.type(), volume, epoch, stripe, offset, length, position, (flags & 1) != 0, zero,
          f.payload());
    } catch (java.nio.BufferUnderflowException e) {
      throw new IllegalArgumentException("truncated stripe request");
    }
  }

  static boolean isStripe(byte type) {
    return type == STRIPE_WRITE || type == STRIPE_READ || type == STRIPE_REBUILD;
  }

  /** A volume request for the manager's blade (manager-proxy routing). */
  record ProxyRequest(byte op, String volume, long offset, long length, boolean fua, ByteBuffer data) {}

  static Frame proxy(byte op, String volume, long offset, long length, boolean fua, ByteBuffer data) {
    byte[] v = utf8(volume);
    ByteBuffer h = ByteBuffer.allocate(1 + 2 + v.length + 8 + 8 + 1);
    h.put(op);
    putString(h, v).putLong(offset).putLong(length).put((byte) (fua ? 1 : 0));
    return new Frame(PROXY, h.flip(), data == null ? EMPTY : data);
  }

  /** Decodes a proxied request; a malformed one is an {@link IllegalArgumentException}. */
  static ProxyRequest decodeProxy(Frame f) {
    try {
      ByteBuffer h = f.header().duplicate();
      byte op = h.get();
      String volume = getString(h);
      long offset = h.getLong();
      long length = h.getLong();
      boolean fua = (h.get() & 1) != 0;
      if (op != READ && op != WRITE && op != ZERO && op != FLUSH) {
        throw new IllegalArgumentException("unknown proxied request " + op);
      }
      if (op == READ && (length < 0 || length > Integer.MAX_VALUE)) {
        throw new IllegalArgumentException("proxied read of " + length + " bytes");
      }
      if (op == WRITE && f.payload().remaining() != length) {
        throw new IllegalArgumentException("proxied write of " + f.payload().remaining() + " bytes for " + length);
      }
      return new ProxyRequest(op, volume, offset, length, fua, f.payload());
    } catch (java.nio.BufferUnderflowException e) {
      throw new IllegalArgumentException("truncated proxied request");
    }
  }

  /** A {@link #MISSED} question, for {@code device} of the blade asked. */
  record MissedRequest(String volume, long epoch, DevicePath device, int position, DevicePath failed,
      long missedFrom) {}

  static Frame missed(String volume, long epoch, DevicePath device, int position, DevicePath failed,
      long missedFrom) {
    byte[] v = utf8(volume);
    byte[] kind = utf8(device.kind());
    byte[] failedKind = utf8(failed.kind());
    ByteBuffer h = ByteBuffer.allocate(2 + v.length + 8 + 14 + kind.length + 4 + 4 + 14 + failedKind.length + 4 + 8);
    putString(h, v).putLong(epoch);
    putDevice(h, device, kind).putInt(position);
    putDevice(h, failed, failedKind).putLong(missedFrom);
    return new Frame(MISSED, h.flip(), EMPTY);
  }

  /** Decodes a {@link #MISSED} question; a malformed one is an {@link IllegalArgumentException}. */
  static MissedRequest decodeMissed(Frame f) {
    try {
      ByteBuffer h = f.header().duplicate();
      String volume = getString(h);
      long epoch = h.getLong();
      DevicePath device = getDevice(h);
      int position = h.getInt();
      DevicePath failed = getDevice(h);
      long missedFrom = h.getLong();
      if (position < 0 || missedFrom <= 0) {
        throw new IllegalArgumentException("bad question: position " + position + ", missed from " + missedFrom);
      }
      return new MissedRequest(volume, epoch, device, position, failed, missedFrom);
    } catch (java.nio.BufferUnderflowException e) {
      throw new IllegalArgumentException("truncated question");
    }
  }

  /** The answer to a {@link #MISSED} question: byte ranges {@code [start, end)}, or null: cannot say. */
  static Frame regions(List<long[]> ranges) {
    if (ranges == null) return new Frame(DATA, EMPTY, ByteBuffer.allocate(8).putLong(-1).flip());
    ByteBuffer b = ByteBuffer.allocate(8 + 16 * ranges.size()).putLong(ranges.size());
    for (long[] r : ranges) b.putLong(r[0]).putLong(r[1]);
    return new Frame(DATA, EMPTY, b.flip());
  }

  /** The ranges of a {@link #regions} answer (null: the blade asked cannot say). */
  static List<long[]> regions(Frame f) {
    ByteBuffer b = f.payload().duplicate();
    long n = b.getLong();
    if (n < 0) return null;
    if (n > b.remaining() / 16) throw new IllegalArgumentException("a region answer of " + n + " ranges is truncated");
    List<long[]> out = new java.util.ArrayList<>((int) n);
    for (long i = 0; i < n; i++) out.add(new long[] {b.getLong(), b.getLong()});
    return out;
  }

  static Frame flush(String volume, long epoch, DevicePath device) {
    byte[] v = utf8(volume);
    byte[] kind = utf8(device.kind());
    ByteBuffer h = ByteBuffer.allocate(2 + v.length + 8 + 14 + kind.length + 4);
    putString(h, v).putLong(epoch);
    putDevice(h, device, kind);
    return new Frame(FLUSH, h.flip(), EMPTY);
  }

  /** Decodes a request; a malformed one is an {@link IllegalArgumentException}. */
  static Request decode(Frame f) {
    try {
      ByteBuffer h = f.header().duplicate();
      String volume = getString(h);
      long epoch = h.getLong();
      DevicePath device = getDevice(h);
      if (f.type() == FLUSH) return new Request(FLUSH, volume, epoch, null, device, false, false, null);
      if (f.type() != READ && f.type() != WRITE && f.type() != ZERO && f.type() != STATUS) {
        throw new IllegalArgumentException("unknown block request type " + f.type());
      }
      DeviceSegment s = new DeviceSegment(device, h.getLong(), h.getLong(), h.getInt());
      byte flags = h.get();
      if (f.type() == WRITE && f.payload().remaining() != s.length()) {
        throw new IllegalArgumentException("write of " + f.payload().remaining() + " bytes for a segment of " + s.length());
      }
      return new Request(f.type(), volume, epoch, s, device, (flags & 1) != 0, (flags & 2) != 0, f.payload());
    } catch (java.nio.BufferUnderflowException e) {
      throw new IllegalArgumentException("truncated block request");
    }
  }

  static Frame data(byte[] bytes) {
    return new Frame(DATA, EMPTY, ByteBuffer.wrap(bytes));
  }

  static Frame data(io.rackshare.smm.DataLane.Transfer transfer) {
    return new Frame(DATA, EMPTY, EMPTY, transfer);
  }

  static Frame done() {
    return new Frame(DONE, EMPTY, EMPTY);
  }

  static Frame ioFailure(String message) {
    return new Frame(IO_FAILURE, ByteBuffer.wrap(utf8(message)), EMPTY);
  }

  static Frame failed(BlockDeviceException e) {
    byte[] m = utf8(e.detail());
    return new Frame(FAILED, ByteBuffer.allocate(2 + m.length).putShort((short) e.error().ordinal()).put(m).flip(),
        EMPTY);
  }

  /** The failure a {@link #FAILED} or {@link #IO_FAILURE} answer carries. */
  static BlockDeviceException failure(Frame f) {
    if (f.type() != FAILED) return new BlockDeviceException(IoError.IO_ERROR, message(f));
    ByteBuffer h = f.header().duplicate();
    int code = h.getShort();
    IoError[] all = IoError.values();
    IoError e = code >= 0 && code < all.length ? all[code] : IoError.IO_ERROR;
    return new BlockDeviceException(e, StandardCharsets.UTF_8.decode(h).toString());
  }

  static Frame wrongTarget(long targetEpoch, String reason) {
    byte[] r = utf8(reason);
    return new Frame(WRONG_TARGET, ByteBuffer.allocate(8 + r.length).putLong(targetEpoch).put(r).flip(), EMPTY);
  }

  static String message(Frame f) {
    ByteBuffer h = f.header().duplicate();
    if (f.type() == WRONG_TARGET) h.getLong();
    if (f.type() == FAILED) h.getShort();
    return StandardCharsets.UTF_8.decode(h).toString();
  }

  /** The payload as an array, without a copy when the frame owns a whole array. */
  static byte[] bytes(ByteBuffer b) {
    if (b.hasArray() && b.arrayOffset() == 0 && b.position() == 0 && b.remaining() == b.array().length) {
      return b.array();
    }
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static ByteBuffer putString(ByteBuffer b, byte[] s) {
    return b.putShort((short) s.length).put(s);
  }

  private static String getString(ByteBuffer b) {
    int n = Short.toUnsignedInt(b.getShort());
    byte[] s = new byte[n];
    b.get(s);
    return new String(s, StandardCharsets.UTF_8);
  }

  private static ByteBuffer putDevice(ByteBuffer b, DevicePath d, byte[] kind) {
    b.putInt(d.blade().rack()).putInt(d.blade().chassis()).putInt(d.blade().slot());
    return putString(b, kind).putInt(d.index());
  }

  private static DevicePath getDevice(ByteBuffer b) {
    BladeId blade = new BladeId(b.getInt(), b.getInt(), b.getInt());
    return new DevicePath(blade, getString(b), b.getInt());
  }
}
