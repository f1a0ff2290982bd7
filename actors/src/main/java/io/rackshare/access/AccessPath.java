package io.rackshare.access;

import io.rackshare.layout.Layout;
import io.rackshare.layout.Layouts;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.DeviceSegment;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.smm.DataLane;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The requester side of an access (Figure 7, blocks 702-706 and 724): looks the volume up in this
 * blade's local copy of the map, cuts the byte range into device segments with the volume's
 * layout, sends each to the blade that holds it on the OOB data lane (this blade's own segments
 * go straight to its target side), and completes when every segment is done. A segment answered
 * "wrong target" waits for a resynchronised map (or a back-off), is routed again on it, and fails
 * with {@link IoError#STALE_MAP} after {@code rackshare.access.max-attempts}.
 *
 * <p>Thread-safe and actor-free on purpose: it reads an immutable map snapshot, so requests cost
 * no actor hops; the {@link AccessDriver} actor installs each new map.
 */
public final class AccessPath {

  private static final Logger log = LoggerFactory.getLogger(AccessPath.class);
  /** Largest zeroing one frame asks for: the target zeroes it without a payload. */
  private static final int MAX_ZERO_SEGMENT = 64 << 20;

  private final BladeId self;
  private final Supplier<GlobalResourceMap> map;
  private final Layouts layouts;
  private final AccessSettings settings;
  private final DataLane lane;
  private final BlockTarget.Resync resync;
  private final ScheduledExecutorService timer;
  private final List<MapWaiter> waiters = new CopyOnWriteArrayList<>();

  private record MapWaiter(String volume, long epoch, CompletableFuture<Void> changed) {}

  AccessPath(BladeId self, Supplier<GlobalResourceMap> map, Layouts layouts, AccessSettings settings,
      DataLane lane, BlockTarget.Resync resync, ScheduledExecutorService timer) {
    this.self = self;
    this.map = map;
    this.layouts = layouts;
    this.settings = settings;
    this.lane = lane;
    this.resync = resync;
    this.timer = timer;
  }

  private enum Kind { READ, WRITE, ZERO }

  /**
   * One caller's request. Writes take their data from {@code data}. A read served by one segment
   * answers with that segment's payload as it came; a read of several gathers them into an array
   * made on the first one.
   */
  private static final class Op {
    final Kind kind;
    final String volume;
    final long offset;
    final int length;
    final ByteBuffer data;
    final boolean fua;
    private ByteBuffer whole;
    private byte[] gathered;

    Op(Kind kind, String volume, long offset, int length, ByteBuffer data, boolean fua) {
      this.kind = kind;
      this.volume = volume;
      this.offset = offset;
      this.length = length;
      this.data = data;
      this.fua = fua;
    }

    /** Takes a read segment's payload: kept as it is if it is the whole read, else copied in. */
    synchronized boolean take(long volumeOffset, ByteBuffer payload) {
      if (volumeOffset == offset && payload.remaining() == length) {
        whole = payload;
        return true;
      }
      if (gathered == null) gathered = new byte[length];
      payload.duplicate().get(gathered, (int) (volumeOffset - offset), payload.remaining());
      return false;
    }

    synchronized ByteBuffer result() {
      if (whole != null) return whole;
      return ByteBuffer.wrap(gathered != null ? gathered : new byte[length]);
    }
  }

  public CompletableFuture<byte[]> read(String volume, long offset, int length) {
    return readBuffer(volume, offset, length).thenApply(b -> {
      byte[] out = BlockFrames.bytes(b);
      release(b);
      return out;
    });
  }

  /** Gives back a buffer from {@link #readBuffer} once its bytes are consumed. */
  public void release(ByteBuffer b) {
    lane.release(b);
  }

  /**
   * Reads into a buffer, which may be a pooled direct one: give it back with {@link #release}
   * once its bytes are consumed (forgetting costs speed, not correctness).
   */
  public CompletableFuture<ByteBuffer> readBuffer(String volume, long offset, int length) {
    if (length < 0) return invalid(offset, length);
    Op op = new Op(Kind.READ, volume, offset, length, null, false);
    return range(op, offset, length, 0).thenApply(x -> op.result());
  }

  /** Writes the remaining bytes of {@code data}, which must not change until completion. */
  public CompletableFuture<Void> write(String volume, long offset, ByteBuffer data, boolean fua) {
    ByteBuffer d = data.slice();
    return range(new Op(Kind.WRITE, volume, offset, d.remaining(), d, fua), offset, d.remaining(), 0);
  }

  public CompletableFuture<Void> write(String volume, long offset, byte[] data, boolean fua) {
    return write(volume, offset, ByteBuffer.wrap(data), fua);
  }

  public CompletableFuture<Void> writeZeroes(String volume, long offset, long length, boolean fua) {
    if (length < 0) return invalid(offset, length);
    return range(new Op(Kind.ZERO, volume, offset, 0, null, fua), offset, length, 0);
  }

  public CompletableFuture<Void> flush(String volume) {
    GlobalResourceDescriptor v = map.get().volumes().get(volume);
    if (v == null) return noVolume(volume);
    List<CompletableFuture<Void>> parts = new ArrayList<>();
    for (DevicePath d : layouts.get(v.layout()).devices(v)) parts.add(flushDevice(volume, d, 0));
    return CompletableFuture.allOf(parts.toArray(new CompletableFuture[0]));
  }

  /** This blade stored a new map: segments waiting for one go again. */
  void mapInstalled(GlobalResourceMap m) {
    for (MapWaiter w : waiters) {
      long now = m.volume(w.volume()).map(GlobalResourceDescriptor::epoch).orElse(-1L);
      if (now != w.epoch()) {
        waiters.remove(w);
        w.changed().complete(null);
      }
    }
  }

  // ---- routing -------------------------------------------------------------------------------

  private CompletableFuture<Void> range(Op op, long offset, long length, int attempt) {
    GlobalResourceDescriptor v = map.get().volumes().get(op.volume);
    if (v == null) return noVolume(op.volume);
    if (offset < 0) return invalid(offset, length);
    if (offset + length > v.sizeBytes()) {
      return CompletableFuture.failedFuture(new BlockDeviceException(IoError.OUT_OF_RANGE, "range " + offset
          + "+" + length + " is past the end of '" + op.volume + "' (" + v.sizeBytes() + " bytes)"));
    }
    if (length == 0) return CompletableFuture.completedFuture(null);
    Layout layout = layouts.get(v.layout());
    int max = op.kind == Kind.ZERO ? MAX_ZERO_SEGMENT : settings.maxSegmentBytes();
    List<CompletableFuture<Void>> parts = new ArrayList<>();
    for (long done = 0; done < length; done += Integer.MAX_VALUE) {
      int n = (int) Math.min(Integer.MAX_VALUE, length - done);
      for (DeviceSegment s : layout.segments(v, offset + done, n)) {
        for (int at = 0; at < s.length(); at += max) {
          int m = Math.min(max, s.length() - at);
          parts.add(segment(op, v, new DeviceSegment(s.device(), s.deviceOffset() + at, s.volumeOffset() + at, m), attempt));
        }
      }
    }
    return parts.size() == 1 ? parts.get(0) : CompletableFuture.allOf(parts.toArray(new CompletableFuture[0]));
  }

  private CompletableFuture<Void> segment(Op op, GlobalResourceDescriptor v, DeviceSegment s, int attempt) {
    DataLane.Frame frame = switch (op.kind) {
      case READ -> BlockFrames.segment(BlockFrames.READ, v.name(), v.epoch(), s, false, null);
      case ZERO -> BlockFrames.segment(BlockFrames.ZERO, v.name(), v.epoch(), s, op.fua, null);
      case WRITE -> BlockFrames.segment(BlockFrames.WRITE, v.name(), v.epoch(), s, op.fua,
          op.data.slice((int) (s.volumeOffset() - op.offset), s.length()));
    };
    return lane.request(s.blade(), frame).handle((reply, failure) -> {
      if (failure != null) return CompletableFuture.<Void>failedFuture(mapFailure(failure));
      switch (reply.type()) {
        case BlockFrames.DATA -> {
          if (!op.take(s.volumeOffset(), reply.payload())) lane.release(reply.payload());
          return CompletableFuture.<Void>completedFuture(null);
        }
        case BlockFrames.DONE -> {
          return CompletableFuture.<Void>completedFuture(null);
        }
        case BlockFrames.WRONG_TARGET -> {
          return retry(op.volume, v.epoch(), attempt, BlockFrames.message(reply),
              () -> range(op, s.volumeOffset(), s.length(), attempt + 1));
        }
        default -> {
          return CompletableFuture.<Void>failedFuture(new BlockDeviceException(IoError.IO_ERROR,
              s.blade() + ": " + BlockFrames.message(reply)));
        }
      }
    }).thenCompose(f -> f);
  }

  private CompletableFuture<Void> flushDevice(String volume, DevicePath device, int attempt) {
    GlobalResourceDescriptor v = map.get().volumes().get(volume);
    if (v == null) return noVolume(volume);
    return lane.request(device.blade(), BlockFrames.flush(volume, v.epoch(), device)).handle((reply, failure) -> {
      if (failure != null) return CompletableFuture.<Void>failedFuture(mapFailure(failure));
      return switch (reply.type()) {
        case BlockFrames.DONE -> CompletableFuture.<Void>completedFuture(null);
        case BlockFrames.WRONG_TARGET -> retry(volume, v.epoch(), attempt, BlockFrames.message(reply),
            () -> flushDevice(volume, device, attempt + 1));
        default -> CompletableFuture.<Void>failedFuture(new BlockDeviceException(IoError.IO_ERROR,
            device.blade() + ": " + BlockFrames.message(reply)));
      };
    }).thenCompose(f -> f);
  }

  /** Waits for a resynchronised map (or the back-off), then runs {@code again}. */
  private CompletableFuture<Void> retry(String volume, long usedEpoch, int attempt, String reason,
      Supplier<CompletableFuture<Void>> again) {
    if (attempt + 1 >= settings.maxAttempts()) {
      return CompletableFuture.failedFuture(new BlockDeviceException(IoError.STALE_MAP,
          "the maps stayed out of step after " + (attempt + 1) + " attempts; last answer: " + reason));
    }
    log.info("{}: wrong target for '{}' at epoch {} ({}); retrying on a resynchronised map",
        self, volume, usedEpoch, reason);
    resync.ask(volume, usedEpoch, "wrong target: " + reason);
    CompletableFuture<Void> changed = new CompletableFuture<>();
    MapWaiter w = new MapWaiter(volume, usedEpoch, changed);
    waiters.add(w);
    mapInstalled(map.get()); // it may have changed already
    long backoff = settings.retryBackoff().toMillis() * (attempt + 1);
    timer.schedule(() -> {
      waiters.remove(w);
      changed.complete(null);
    }, backoff, TimeUnit.MILLISECONDS);
    return changed.thenCompose(x -> again.get());
  }

  private static BlockDeviceException mapFailure(Throwable t) {
    Throwable c = BlockDeviceException.cause(t);
    if (c instanceof BlockDeviceException b) return b;
    if (c instanceof DataLane.LaneException l) {
      IoError e = switch (l.failure()) {
        case TIMEOUT -> IoError.TIMEOUT;
        case OVERLOADED -> IoError.OVERLOADED;
        case UNREACHABLE, NO_HANDLER -> IoError.UNAVAILABLE;
      };
      return new BlockDeviceException(e, l.getMessage());
    }
    return new BlockDeviceException(IoError.IO_ERROR, c.toString());
  }

  private static <T> CompletableFuture<T> noVolume(String volume) {
    return CompletableFuture.failedFuture(
        new BlockDeviceException(IoError.NO_SUCH_VOLUME, "no volume '" + volume + "' in the map"));
  }

  private static <T> CompletableFuture<T> invalid(long offset, long length) {
    return CompletableFuture.failedFuture(
        new BlockDeviceException(IoError.INVALID, "negative offset or length: " + offset + "+" + length));
  }
}
