package io.rackshare.access;

import io.rackshare.io.Ranges;
import io.rackshare.layout.Health;
import io.rackshare.layout.Layout;
import io.rackshare.layout.LayoutOptions;
import io.rackshare.layout.Layouts;
import io.rackshare.layout.ReadPiece;
import io.rackshare.layout.RebuildStep;
import io.rackshare.layout.WritePiece;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.DeviceSegment;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.map.Member;
import io.rackshare.smm.DataLane;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The requester side of an access (Figure 7, blocks 702-706 and 724), as its planner layer: looks
 * the volume up in this blade's local copy of the map, has the volume's layout cut the byte range
 * into pieces (which device to read, which devices to write, which stripe coordinator to ask),
 * hands each to the {@link LaneClient} (this blade's own pieces go straight to its target side),
 * and has {@link Retries} judge the outcomes: done, planned again on a newer map, or failed.
 *
 * <p>The layers under a request, top down: NBD front end or {@link Volume} ({@link BlockDevice}),
 * {@link QuorumGate}, this planner with the layout's plan, {@link Retries}, {@link LaneClient},
 * the data lane. It knows no RAID level: layouts are plug-ins ({@link Layout}).
 *
 * <p>Thread-safe and actor-free on purpose: it reads an immutable map snapshot, so requests cost
 * no actor hops; the {@link AccessDriver} actor installs each new map. A request is planned on
 * its caller's thread (an NBD connection's reader, or an embedding service's); retries are
 * planned on the thread that completed the last outcome. Nothing here blocks.
 */
public final class AccessPath implements VolumeIo {

  private static final Logger log = LoggerFactory.getLogger(AccessPath.class);
  /** Largest zeroing one frame asks for: the target zeroes it without a payload. */
  private static final int MAX_ZERO_SEGMENT = 64 << 20;

  private final BladeId self;
  private final Supplier<GlobalResourceMap> map;
  private final Layouts layouts;
  private final AccessSettings settings;
  private final LaneClient client;
  private final Retries retries;
  private final RangeLocks locks;
  private final QuorumGate quorum;

  /** Tells the global resource manager that a member failed. */
  interface FailureReport {
    /**
     * Completes with a map epoch at which {@code device} is no longer used by {@code volume}, once
     * every blade has installed that map.
     */
    CompletableFuture<Long> memberFailed(String volume, DevicePath device, long seenEpoch, String reason,
        boolean unreachable);
  }

  AccessPath(BladeId self, Supplier<GlobalResourceMap> map, Layouts layouts, AccessSettings settings,
      LaneClient client, Retries retries, RangeLocks locks, QuorumGate quorum) {
    this.quorum = quorum;
    this.self = self;
    this.map = map;
    this.layouts = layouts;
    this.settings = settings;
    this.client = client;
    this.retries = retries;
    this.locks = locks;
  }

  private enum Kind { READ, WRITE, ZERO }

  /**
   * One caller's request. Writes take their data from {@code data}. A read served by one piece
   * answers with that piece's payload as it came; a read of several gathers them into an array
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

    /** Takes a read piece's payload: kept as it is if it is the whole read, else copied in. */
    synchronized boolean take(long volumeOffset, ByteBuffer payload) {
      if (volumeOffset == offset && payload.remaining() == length && gathered == null) {
        whole = payload;
        return true;
      }
      if (gathered == null) {
        gathered = new byte[length];
        if (whole != null) {
          // A retried piece after a whole answer: keep the whole one's bytes.
          whole.duplicate().get(gathered);
          whole = null;
        }
      }
      payload.duplicate().get(gathered, (int) (volumeOffset - offset), payload.remaining());
      return false;
    }

    synchronized ByteBuffer result() {
      if (whole != null) return whole;
      return ByteBuffer.wrap(gathered != null ? gathered : new byte[length]);
    }

    /** The bytes to write for volume range {@code [at, at + n)}. */
    ByteBuffer slice(long at, int n) {
      return data.slice((int) (at - offset), n);
    }
  }

  /** Gives back a buffer from {@link #readBuffer} once its bytes are consumed. */
  public void release(ByteBuffer b) {
    client.release(b);
  }

  /**
   * Reads into a buffer, which may be a pooled direct one: give it back with {@link #release}
   * once its bytes are consumed (forgetting costs speed, not correctness).
   */
  public CompletableFuture<ByteBuffer> readBuffer(String volume, long offset, int length) {
    Op op = new Op(Kind.READ, volume, offset, length, null, false);
    return gated(() -> range(op, offset, length, 0)).thenApply(x -> op.result());
  }

  /** Writes the remaining bytes of {@code data}, which must not change until completion. */
  public CompletableFuture<Void> write(String volume, long offset, ByteBuffer data, boolean fua) {
    ByteBuffer d = data.slice();
    return gated(() -> range(new Op(Kind.WRITE, volume, offset, d.remaining(), d, fua), offset, d.remaining(), 0));
  }

  public CompletableFuture<Void> writeZeroes(String volume, long offset, long length, boolean fua) {
    return gated(() -> range(new Op(Kind.ZERO, volume, offset, 0, null, fua), offset, length, 0));
  }

  public CompletableFuture<Void> flush(String volume) {
    return gated(() -> flush(volume, 0));
  }

  /**
   * Pieces one block status request asks about at most (a striped layout's pieces are stripe
   * chunks: a long range would be thousands of questions to one blade, crowding its window).
   */
  static final int MAX_STATUS_PIECES = 32;

  /**
   * Which ranges of {@code [offset, offset + length)} may hold data: the devices the layout reads
   * them from say (a {@link BlockFrames#STATUS} question each, checked as a read there). Advisory:
   * a piece whose device does not answer, is rebuilt from parity, or is answered for another map
   * counts as data, which only costs a client the reading of zeros.
   */
  @Override
  public CompletableFuture<BlockDevice.Allocation> allocated(String volume, long offset, long length) {
    // As reads are: a blade cut off from the majority may hold a map the majority has changed.
    return gated(() -> allocatedNow(volume, offset, length));
  }

  private CompletableFuture<BlockDevice.Allocation> allocatedNow(String volume, long offset, long length) {
    BlockDevice.Allocation whole = new BlockDevice.Allocation(offset + length, List.of(new long[] {offset, offset + length}));
    GlobalResourceDescriptor v = map.get().volumes().get(volume);
    if (v == null) return noVolume(volume);
    if (offset < 0 || length <= 0 || length > Integer.MAX_VALUE || !Ranges.fits(offset, length, v.sizeBytes())) {
      return invalid(offset, length);
    }
    Layout layout = layouts.get(v.layout());
    if (layout.health(v).failed()) return volumeFailed(v, layout.health(v));
    List<ReadPiece> pieces;
    try {
      pieces = layout.reads(v, offset, (int) length, self);
    } catch (IllegalStateException e) {
      return CompletableFuture.completedFuture(whole);
    }
    if (pieces.size() > MAX_STATUS_PIECES) pieces = pieces.subList(0, MAX_STATUS_PIECES);
    ReadPiece lastPiece = pieces.get(pieces.size() - 1);
    long end = lastPiece.volumeOffset() + lastPiece.length();
    List<CompletableFuture<List<long[]>>> parts = new ArrayList<>();
    for (ReadPiece p : pieces) {
      List<long[]> all = List.of(new long[] {p.volumeOffset(), p.volumeOffset() + p.length()});
      if (!(p instanceof ReadPiece.Direct d)) {
        parts.add(CompletableFuture.completedFuture(all));
        continue;
      }
      DeviceSegment seg = d.segment();
      parts.add(client.send(seg.device().blade(), seg.device(),
          BlockFrames.segment(BlockFrames.STATUS, v.name(), v.epoch(), seg, false, null), false).thenApply(o -> {
            if (!(o instanceof Outcome.Ok ok) || ok.reply().type() != BlockFrames.DATA) return all;
            List<long[]> ranges;
            try {
              ranges = BlockFrames.regions(ok.reply());
            } catch (RuntimeException e) {
              return all;
            } finally {
              client.release(ok.reply().payload());
            }
            if (ranges == null) return all;
            List<long[]> out = new ArrayList<>();
            long shift = seg.volumeOffset() - seg.deviceOffset();
            for (long[] r : ranges) {
              long start = Math.max(r[0], seg.deviceOffset()) + shift;
              long stop = Math.min(r[1], seg.deviceOffset() + seg.length()) + shift;
              if (stop > start) out.add(new long[] {start, stop});
            }
            return out;
          }));
    }
    return CompletableFuture.allOf(parts.toArray(new CompletableFuture[0])).thenApply(x -> {
      List<long[]> merged = new ArrayList<>();
      parts.stream().flatMap(f -> f.join().stream()).sorted(java.util.Comparator.comparingLong(r -> r[0]))
          .forEach(r -> {
            long[] last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
            if (last != null && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
            else merged.add(new long[] {r[0], r[1]});
          });
      return new BlockDevice.Allocation(end, merged);
    });
  }

  /**
   * Runs {@code request} now if this blade's side of the cluster has a quorum, else once it has
   * it again (see {@link QuorumGate}); a blade cut off from the majority serves nothing.
   */
  private <T> CompletableFuture<T> gated(Supplier<CompletableFuture<T>> request) {
    if (quorum.open()) return request.get();
    return quorum.await(settings.quorumTimeout()).thenCompose(x -> request.get());
  }

  private CompletableFuture<Void> flush(String volume, int attempt) {
    GlobalResourceDescriptor v = map.get().volumes().get(volume);
    if (v == null) return noVolume(volume);
    Health h = layouts.get(v.layout()).health(v);
    if (h.failed()) return volumeFailed(v, h);
    List<CompletableFuture<Outcome>> parts = new ArrayList<>();
    for (DevicePath d : io.rackshare.layout.Moves.flushed(layouts.get(v.layout()), v)) {
      parts.add(client.send(d.blade(), d, BlockFrames.flush(volume, v.epoch(), d), true));
    }
    return retries.settle(v, parts, attempt, () -> flush(volume, attempt + 1));
  }

  /** This blade stored a new map: pieces waiting for one go again. */
  void mapInstalled(GlobalResourceMap m) {
    retries.mapInstalled(m);
  }

  // ---- planning ------------------------------------------------------------------------------

  private CompletableFuture<Void> range(Op op, long offset, long length, int attempt) {
    GlobalResourceDescriptor v = map.get().volumes().get(op.volume);
    if (v == null) return noVolume(op.volume);
    if (offset < 0 || length < 0) return invalid(offset, length);
    if (!Ranges.fits(offset, length, v.sizeBytes())) {
      return CompletableFuture.failedFuture(new BlockDeviceException(IoError.OUT_OF_RANGE, "range " + offset
          + "+" + length + " is past the end of '" + op.volume + "' (" + v.sizeBytes() + " bytes)"));
    }
    if (length == 0) return CompletableFuture.completedFuture(null);
    Layout layout = layouts.get(v.layout());
    Health h = layout.health(v);
    if (h.failed()) return volumeFailed(v, h);
    if (op.kind != Kind.READ && LayoutOptions.offlineRebuild(v) && rebuilding(v)) {
      // rebuild = offline: writes wait until the volume is whole again.
      return retries.mapChange(v.name(), v.epoch(), 0, 0).thenCompose(x -> range(op, offset, length, attempt));
    }
    List<CompletableFuture<Void>> parts = new ArrayList<>();
    try {
      for (long done = 0; done < length; done += Integer.MAX_VALUE) {
        int n = (int) Math.min(Integer.MAX_VALUE, length - done);
        if (op.kind == Kind.READ) {
          for (ReadPiece p : layout.reads(v, offset + done, n, self)) read(op, v, p, attempt, parts);
        } else {
          for (WritePiece p : layout.writes(v, offset + done, n)) write(op, v, p, attempt, parts);
        }
      }
    } catch (IllegalStateException e) {
      return CompletableFuture.failedFuture(new BlockDeviceException(IoError.VOLUME_FAILED, e.getMessage()));
    }
    return parts.size() == 1 ? parts.get(0) : CompletableFuture.allOf(parts.toArray(new CompletableFuture[0]));
  }

  private static boolean rebuilding(GlobalResourceDescriptor v) {
    return v.members().stream().anyMatch(m -> m.state() == Member.State.REBUILDING);
  }

  private void read(Op op, GlobalResourceDescriptor v, ReadPiece p, int attempt, List<CompletableFuture<Void>> parts) {
    int max = settings.maxSegmentBytes();
    if (p instanceof ReadPiece.Direct d) {
      DeviceSegment s = d.segment();
      for (int at = 0; at < s.length(); at += max) {
        DeviceSegment piece = s.slice(at, Math.min(max, s.length() - at));
        CompletableFuture<Outcome> o = client.send(piece.blade(), piece.device(),
            BlockFrames.segment(BlockFrames.READ, v.name(), v.epoch(), piece, false, null), true);
        parts.add(retries.settle(v, List.of(o), attempt, () -> range(op, piece.volumeOffset(), piece.length(), attempt + 1))
            .thenRun(() -> take(op, piece.volumeOffset(), o.join())));
      }
    } else if (p instanceof ReadPiece.Reconstructed r) {
      for (int at = 0; at < r.length(); at += max) {
        long vo = r.volumeOffset() + at;
        int n = Math.min(max, r.length() - at);
        CompletableFuture<Outcome> o = client.send(r.coordinator().blade(), r.coordinator(),
            BlockFrames.stripe(BlockFrames.STRIPE_READ, v.name(), v.epoch(), r.stripe(), vo, n, -1, false, false, null),
            true);
        parts.add(retries.settle(v, List.of(o), attempt, () -> range(op, vo, n, attempt + 1))
            .thenRun(() -> take(op, vo, o.join())));
      }
    }
  }

  /** Keeps a read piece's payload, if this outcome carried one (a retried piece took its own). */
  private void take(Op op, long volumeOffset, Outcome o) {
    if (o instanceof Outcome.Ok ok && ok.reply().type() == BlockFrames.DATA) {
      ByteBuffer payload = ok.reply().payload();
      if (!op.take(volumeOffset, payload)) client.release(payload);
    }
  }

  private void write(Op op, GlobalResourceDescriptor v, WritePiece p, int attempt, List<CompletableFuture<Void>> parts) {
    int max = op.kind == Kind.ZERO ? MAX_ZERO_SEGMENT : settings.maxSegmentBytes();
    for (int at = 0; at < p.length(); at += max) {
      long vo = p.volumeOffset() + at;
      int n = Math.min(max, p.length() - at);
      int from = at;
      if (p instanceof WritePiece.Copies c) {
        parts.add(copies(op, v, slices(c.inSync(), from, n), slices(c.rebuilding(), from, n), vo, n, attempt));
      } else if (p instanceof WritePiece.Parity s) {
        boolean zero = op.kind == Kind.ZERO;
        Supplier<CompletableFuture<Outcome>> send = () -> client.send(s.coordinator().blade(), s.coordinator(),
            BlockFrames.stripe(BlockFrames.STRIPE_WRITE, v.name(), v.epoch(), s.stripe(), vo, n, -1, op.fua, zero,
                zero ? null : op.slice(vo, n)), true);
        parts.add(retries.settle(v, List.of(send.get()), attempt, () -> range(op, vo, n, attempt + 1)));
      }
    }
  }

  private static List<DeviceSegment> slices(List<DeviceSegment> segments, int from, int n) {
    List<DeviceSegment> out = new ArrayList<>(segments.size());
    for (DeviceSegment s : segments) out.add(s.slice(from, n));
    return out;
  }

  /**
   * Writes the same bytes to every copy: the ones in sync first, then those being rebuilt and the
   * targets of moving members ({@link io.rackshare.layout.Moves}), so that a rebuild or move
   * copying this range reads either the old bytes before this write reaches the copy, or the new
   * ones.
   */
  private CompletableFuture<Void> copies(Op op, GlobalResourceDescriptor v, List<DeviceSegment> inSync,
      List<DeviceSegment> rebuilding, long vo, int n, int attempt) {
    Supplier<CompletableFuture<Void>> again = () -> range(op, vo, n, attempt + 1);
    List<DeviceSegment> moving = io.rackshare.layout.Moves.shadows(v, inSync);
    List<DeviceSegment> after = rebuilding;
    if (!moving.isEmpty()) {
      // A member that moves: its target is written after it, as a copy being rebuilt is.
      after = new ArrayList<>(rebuilding);
      after.addAll(moving);
    }
    if (after.isEmpty()) return retries.settle(v, writeAll(op, v, inSync, vo), attempt, again);
    List<DeviceSegment> second = after;
    return retries.settle(v, writeAll(op, v, inSync, vo), attempt, again,
        () -> retries.settle(v, writeAll(op, v, second, vo), attempt, again));
  }

  private List<CompletableFuture<Outcome>> writeAll(Op op, GlobalResourceDescriptor v, List<DeviceSegment> segments,
      long vo) {
    List<CompletableFuture<Outcome>> out = new ArrayList<>(segments.size());
    for (DeviceSegment s : segments) {
      DataLane.Frame frame = op.kind == Kind.ZERO
          ? BlockFrames.segment(BlockFrames.ZERO, v.name(), v.epoch(), s, op.fua, null)
          : BlockFrames.segment(BlockFrames.WRITE, v.name(), v.epoch(), s, op.fua, op.slice(vo, s.length()));
      out.add(client.send(s.blade(), s.device(), frame, true));
    }
    return out;
  }

  // ---- rebuilding ----------------------------------------------------------------------------

  /**
   * Performs one step of rebuilding a member of this blade. A copy locks the target range on this
   * blade, so that client writes to it wait while the range is copied (they reach the member
   * being rebuilt only after its in-sync copies, see {@link #copies}); a reconstruction runs at
   * the stripe's coordinator under the stripe's lock.
   */
  CompletableFuture<Void> rebuild(GlobalResourceDescriptor v, RebuildStep step) {
    if (step instanceof RebuildStep.Reconstruct r) {
      DeviceSegment t = r.target();
      CompletableFuture<Outcome> o = client.send(r.coordinator().blade(), r.coordinator(),
          BlockFrames.stripe(BlockFrames.STRIPE_REBUILD, v.name(), v.epoch(), r.stripe(), t.deviceOffset(),
              t.length(), r.position(), false, false, null), true);
      return retries.settle(v, List.of(o), 0, () -> failedStep(v));
    }
    RebuildStep.Copy c = (RebuildStep.Copy) step;
    DeviceSegment t = c.target();
    return locks.lock(t.device(), t.deviceOffset(), t.length()).thenCompose(held -> {
      // Marked as a copy's read: the source serves it after the writes it admitted under older epochs.
      CompletableFuture<Outcome> read = client.send(c.source().blade(), c.source().device(),
          BlockFrames.segment(BlockFrames.READ, v.name(), v.epoch(), c.source(), false, null, true), true);
      CompletableFuture<Void> done = retries.settle(v, List.of(read), 0, () -> failedStep(v))
          .thenCompose(x -> {
            ByteBuffer data = ((Outcome.Ok) read.join()).reply().payload();
            CompletableFuture<Outcome> w = client.send(self, t.device(),
                BlockFrames.segment(BlockFrames.WRITE, v.name(), v.epoch(), t, false, data, true), true);
            return retries.settle(v, List.of(w), 0, () -> failedStep(v))
                .whenComplete((y, e) -> client.release(data));
          });
      return done.whenComplete((x, e) -> locks.unlock(held));
    });
  }

  /**
   * Forces device {@code d} of this blade, which a rebuild or a move has just filled (its steps
   * write without FUA), to stable storage: before the manager counts on it.
   */
  CompletableFuture<Void> flushFilled(GlobalResourceDescriptor v, DevicePath d) {
    CompletableFuture<Outcome> o = client.send(self, d, BlockFrames.flush(v.name(), v.epoch(), d), true);
    return retries.settle(v, List.of(o), 0, () -> failedStep(v));
  }

  /**
   * Asks the in-sync copy at {@code witness} which regions the member at {@code position} missed
   * since it failed ({@link DirtyRegions}): {@code [start, end)} device byte ranges, or null if
   * that copy cannot say. Fails if the copy's map is not this one or it does not answer.
   */
  CompletableFuture<List<long[]>> missed(GlobalResourceDescriptor v, int witness, int position) {
    DevicePath w = v.member(witness).device();
    Member m = v.member(position);
    return client.send(w.blade(), w, BlockFrames.missed(v.name(), v.epoch(), w, position, m.device(), m.missedFrom()), false)
        .thenApply(o -> {
          if (o instanceof Outcome.Ok ok) return BlockFrames.regions(ok.reply());
          throw new BlockDeviceException(IoError.STALE_MAP, w + " did not say what " + m.device() + " missed: " + o);
        });
  }

  private static CompletableFuture<Void> failedStep(GlobalResourceDescriptor v) {
    return CompletableFuture.failedFuture(new BlockDeviceException(IoError.STALE_MAP,
        "the map of '" + v.name() + "' changed under the rebuild step"));
  }

  GlobalResourceMap currentMap() {
    return map.get();
  }

  private static <T> CompletableFuture<T> volumeFailed(GlobalResourceDescriptor v, Health h) {
    return CompletableFuture.failedFuture(new BlockDeviceException(IoError.VOLUME_FAILED,
        "volume '" + v.name() + "' has failed: " + h.detail()));
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
