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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The requester side of an access (Figure 7, blocks 702-706 and 724): looks the volume up in this
 * blade's local copy of the map, has the volume's layout cut the byte range into pieces (which
 * device to read, which devices to write, which stripe coordinator to ask), sends each to the
 * blade that holds it on the OOB data lane (this blade's own pieces go straight to its target
 * side), and completes when every piece is done.
 *
 * <p>When something goes wrong with a piece:
 *
 * <ul>
 *   <li>"wrong target": the maps disagree; the piece waits for a resynchronised map (or a
 *       back-off) and is routed again, failing with {@link IoError#STALE_MAP} after {@code
 *       rackshare.access.max-attempts};
 *   <li>a member failed (its blade left, did not answer in time, or its device reported an I/O
 *       error): the manager is told, and once it confirms a map without that member installed on
 *       every blade the piece is planned again on it. A write is therefore acknowledged only when
 *       it is on every member the map still counts as live (DRBD's protocol C), and a failed
 *       member is never read again;
 *   <li>the volume lost more members than its redundancy covers: {@link IoError#VOLUME_FAILED}.
 * </ul>
 *
 * <p>Thread-safe and actor-free on purpose: it reads an immutable map snapshot, so requests cost
 * no actor hops; the {@link AccessDriver} actor installs each new map.
 */
public final class AccessPath implements VolumeIo {

  private static final Logger log = LoggerFactory.getLogger(AccessPath.class);
  /** Largest zeroing one frame asks for: the target zeroes it without a payload. */
  private static final int MAX_ZERO_SEGMENT = 64 << 20;

  private final BladeId self;
  private final Supplier<GlobalResourceMap> map;
  private final Layouts layouts;
  private final AccessSettings settings;
  private final DataLane lane;
  private final BlockTarget.Resync resync;
  private final FailureReport report;
  private final RangeLocks locks;
  private final ScheduledExecutorService timer;
  private final QuorumGate quorum;
  private final List<MapWaiter> waiters = new CopyOnWriteArrayList<>();

  /** Waits for volume {@code volume}'s epoch to differ from {@code epoch} (or the map to reach {@code atLeast}). */
  private record MapWaiter(String volume, long epoch, long atLeast, CompletableFuture<Void> changed) {
    boolean satisfied(GlobalResourceMap m) {
      if (atLeast > 0) return m.epoch() >= atLeast;
      return m.volume(volume).map(GlobalResourceDescriptor::epoch).orElse(-1L) != epoch;
    }
  }

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
      DataLane lane, BlockTarget.Resync resync, FailureReport report, RangeLocks locks,
      ScheduledExecutorService timer, QuorumGate quorum) {
    this.quorum = quorum;
    this.self = self;
    this.map = map;
    this.layouts = layouts;
    this.settings = settings;
    this.lane = lane;
    this.resync = resync;
    this.report = report;
    this.locks = locks;
    this.timer = timer;
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
    lane.release(b);
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
   * Which ranges of {@code [offset, offset + length)} may hold data: the devices the layout reads
   * them from say (a {@link BlockFrames#STATUS} question each, checked as a read there). Advisory:
   * a piece whose device does not answer, is rebuilt from parity, or is answered for another map
   * counts as data, which only costs a client the reading of zeros.
   */
  /**
   * Pieces one block status request asks about at most (a striped layout's pieces are stripe
   * chunks: a long range would be thousands of questions to one blade, crowding its window).
   */
  static final int MAX_STATUS_PIECES = 32;

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
      parts.add(send(seg.device().blade(), seg.device(),
          BlockFrames.segment(BlockFrames.STATUS, v.name(), v.epoch(), seg, false, null), false).thenApply(o -> {
            if (!(o instanceof Outcome.Ok ok) || ok.reply().type() != BlockFrames.DATA) return all;
            List<long[]> ranges;
            try {
              ranges = BlockFrames.regions(ok.reply());
            } catch (RuntimeException e) {
              return all;
            } finally {
              lane.release(ok.reply().payload());
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
    for (DevicePath d : layouts.get(v.layout()).devices(v)) {
      parts.add(send(d.blade(), d, BlockFrames.flush(volume, v.epoch(), d), true));
    }
    return settle(v, parts, attempt, () -> flush(volume, attempt + 1));
  }

  /** This blade stored a new map: pieces waiting for one go again. */
  void mapInstalled(GlobalResourceMap m) {
    for (MapWaiter w : waiters) {
      if (w.satisfied(m)) {
        waiters.remove(w);
        w.changed().complete(null);
      }
    }
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
      return mapChange(v.name(), v.epoch(), 0, 0).thenCompose(x -> range(op, offset, length, attempt));
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
        CompletableFuture<Outcome> o = send(piece.blade(), piece.device(),
            BlockFrames.segment(BlockFrames.READ, v.name(), v.epoch(), piece, false, null), true);
        parts.add(settle(v, List.of(o), attempt, () -> range(op, piece.volumeOffset(), piece.length(), attempt + 1))
            .thenRun(() -> take(op, piece.volumeOffset(), o.join())));
      }
    } else if (p instanceof ReadPiece.Reconstructed r) {
      for (int at = 0; at < r.length(); at += max) {
        long vo = r.volumeOffset() + at;
        int n = Math.min(max, r.length() - at);
        CompletableFuture<Outcome> o = send(r.coordinator().blade(), r.coordinator(),
            BlockFrames.stripe(BlockFrames.STRIPE_READ, v.name(), v.epoch(), r.stripe(), vo, n, -1, false, false, null),
            true);
        parts.add(settle(v, List.of(o), attempt, () -> range(op, vo, n, attempt + 1))
            .thenRun(() -> take(op, vo, o.join())));
      }
    }
  }

  /** Keeps a read piece's payload, if this outcome carried one (a retried piece took its own). */
  private void take(Op op, long volumeOffset, Outcome o) {
    if (o instanceof Outcome.Ok ok && ok.reply().type() == BlockFrames.DATA) {
      ByteBuffer payload = ok.reply().payload();
      if (!op.take(volumeOffset, payload)) lane.release(payload);
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
        Supplier<CompletableFuture<Outcome>> send = () -> send(s.coordinator().blade(), s.coordinator(),
            BlockFrames.stripe(BlockFrames.STRIPE_WRITE, v.name(), v.epoch(), s.stripe(), vo, n, -1, op.fua, zero,
                zero ? null : op.slice(vo, n)), true);
        parts.add(settle(v, List.of(send.get()), attempt, () -> range(op, vo, n, attempt + 1)));
      }
    }
  }

  private static List<DeviceSegment> slices(List<DeviceSegment> segments, int from, int n) {
    List<DeviceSegment> out = new ArrayList<>(segments.size());
    for (DeviceSegment s : segments) out.add(s.slice(from, n));
    return out;
  }

  /**
   * Writes the same bytes to every copy: the ones in sync first, then those being rebuilt, so that
   * a rebuild copying this range reads either the old bytes before this write reaches the rebuilt
   * copy, or the new ones.
   */
  private CompletableFuture<Void> copies(Op op, GlobalResourceDescriptor v, List<DeviceSegment> inSync,
      List<DeviceSegment> rebuilding, long vo, int n, int attempt) {
    Supplier<CompletableFuture<Void>> again = () -> range(op, vo, n, attempt + 1);
    if (rebuilding.isEmpty()) return settle(v, writeAll(op, v, inSync, vo), attempt, again);
    return settle(v, writeAll(op, v, inSync, vo), attempt, again,
        () -> settle(v, writeAll(op, v, rebuilding, vo), attempt, again));
  }

  private List<CompletableFuture<Outcome>> writeAll(Op op, GlobalResourceDescriptor v, List<DeviceSegment> segments,
      long vo) {
    List<CompletableFuture<Outcome>> out = new ArrayList<>(segments.size());
    for (DeviceSegment s : segments) {
      DataLane.Frame frame = op.kind == Kind.ZERO
          ? BlockFrames.segment(BlockFrames.ZERO, v.name(), v.epoch(), s, op.fua, null)
          : BlockFrames.segment(BlockFrames.WRITE, v.name(), v.epoch(), s, op.fua, op.slice(vo, s.length()));
      out.add(send(s.blade(), s.device(), frame, true));
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
      CompletableFuture<Outcome> o = send(r.coordinator().blade(), r.coordinator(),
          BlockFrames.stripe(BlockFrames.STRIPE_REBUILD, v.name(), v.epoch(), r.stripe(), t.deviceOffset(),
              t.length(), r.position(), false, false, null), true);
      return settle(v, List.of(o), 0, () -> failedStep(v));
    }
    RebuildStep.Copy c = (RebuildStep.Copy) step;
    DeviceSegment t = c.target();
    return locks.lock(t.device(), t.deviceOffset(), t.length()).thenCompose(held -> {
      CompletableFuture<Outcome> read = send(c.source().blade(), c.source().device(),
          BlockFrames.segment(BlockFrames.READ, v.name(), v.epoch(), c.source(), false, null), true);
      CompletableFuture<Void> done = settle(v, List.of(read), 0, () -> failedStep(v))
          .thenCompose(x -> {
            ByteBuffer data = ((Outcome.Ok) read.join()).reply().payload();
            CompletableFuture<Outcome> w = send(self, t.device(),
                BlockFrames.segment(BlockFrames.WRITE, v.name(), v.epoch(), t, false, data, true), true);
            return settle(v, List.of(w), 0, () -> failedStep(v))
                .whenComplete((y, e) -> lane.release(data));
          });
      return done.whenComplete((x, e) -> locks.unlock(held));
    });
  }

  /**
   * Asks the in-sync copy at {@code witness} which regions the member at {@code position} missed
   * since it failed ({@link DirtyRegions}): {@code [start, end)} device byte ranges, or null if
   * that copy cannot say. Fails if the copy's map is not this one or it does not answer.
   */
  CompletableFuture<List<long[]>> missed(GlobalResourceDescriptor v, int witness, int position) {
    DevicePath w = v.member(witness).device();
    Member m = v.member(position);
    return send(w.blade(), w, BlockFrames.missed(v.name(), v.epoch(), w, position, m.device(), m.missedFrom()), false)
        .thenApply(o -> {
          if (o instanceof Outcome.Ok ok) return BlockFrames.regions(ok.reply());
          throw new BlockDeviceException(IoError.STALE_MAP, w + " did not say what " + m.device() + " missed: " + o);
        });
  }

  private static CompletableFuture<Void> failedStep(GlobalResourceDescriptor v) {
    return CompletableFuture.failedFuture(new BlockDeviceException(IoError.STALE_MAP,
        "the map of '" + v.name() + "' changed under the rebuild step"));
  }

  // ---- sending and judging answers -----------------------------------------------------------

  /** How one request to one device (or coordinator) ended. */
  sealed interface Outcome {
    record Ok(DataLane.Frame reply) implements Outcome {}

    /** The target's map disagrees with ours. */
    record Wrong(String reason) implements Outcome {}

    /** The device (or its blade) failed: the manager must drop it from the volume. */
    record DeviceFailed(DevicePath device, BlockDeviceException error) implements Outcome {}

    /** Failed for a reason that is not the device's (overload, a bad request, a failed volume). */
    record Failed(BlockDeviceException error) implements Outcome {}
  }

  /**
   * Sends {@code frame} to {@code target}. With {@code blame}, a lane failure or an I/O error
   * answer counts against {@code device}; otherwise the target reports its own failures and only
   * its silence counts against it.
   */
  CompletableFuture<Outcome> send(BladeId target, DevicePath device, DataLane.Frame frame, boolean blame) {
    boolean stripe = BlockFrames.isStripe(frame.type());
    CompletableFuture<DataLane.Frame> sent = stripe
        ? lane.request(target, frame, settings.stripeTimeout(), DataLane.Tier.COORDINATED) : lane.request(target, frame);
    return sent.handle((reply, failure) -> {
      if (failure != null) {
        BlockDeviceException e = mapFailure(failure);
        return e.error() == IoError.OVERLOADED || !blame ? new Outcome.Failed(e) : new Outcome.DeviceFailed(device, e);
      }
      return switch (reply.type()) {
        case BlockFrames.DATA, BlockFrames.DONE -> new Outcome.Ok(reply);
        case BlockFrames.WRONG_TARGET -> new Outcome.Wrong(BlockFrames.message(reply));
        default -> {
          BlockDeviceException e = new BlockDeviceException(IoError.IO_ERROR, target + ": " + BlockFrames.message(reply));
          // A coordinator reports its members' failures itself; what it answers is final.
          yield stripe ? new Outcome.Failed(BlockFrames.failure(reply)) : new Outcome.DeviceFailed(device, e);
        }
      };
    });
  }

  /**
   * Waits for {@code outcomes}; all fine completes, a failure that is nobody's device fails, a
   * failed device is reported to the manager and then {@code again} plans the work anew on the
   * confirmed map, and a disagreeing map is resynchronised before {@code again}.
   */
  CompletableFuture<Void> settle(GlobalResourceDescriptor v, List<CompletableFuture<Outcome>> outcomes, int attempt,
      Supplier<CompletableFuture<Void>> again) {
    return settle(v, outcomes, attempt, again, () -> CompletableFuture.completedFuture(null));
  }

  /** As above; when all went fine, continues with {@code next}. */
  CompletableFuture<Void> settle(GlobalResourceDescriptor v, List<CompletableFuture<Outcome>> outcomes, int attempt,
      Supplier<CompletableFuture<Void>> again, Supplier<CompletableFuture<Void>> next) {
    CompletableFuture<?>[] all = outcomes.toArray(new CompletableFuture[0]);
    return CompletableFuture.allOf(all).thenCompose(x -> {
      List<Outcome.DeviceFailed> failed = new ArrayList<>();
      String wrong = null;
      for (CompletableFuture<Outcome> f : outcomes) {
        Outcome o = f.join();
        if (o instanceof Outcome.Failed e) return CompletableFuture.<Void>failedFuture(e.error());
        if (o instanceof Outcome.DeviceFailed d) failed.add(d);
        if (o instanceof Outcome.Wrong w) wrong = w.reason();
      }
      if (!failed.isEmpty()) return memberFailed(v, failed, attempt, again);
      if (wrong != null) return retry(v.name(), v.epoch(), attempt, wrong, again);
      return next.get();
    });
  }

  private CompletableFuture<Void> memberFailed(GlobalResourceDescriptor v, List<Outcome.DeviceFailed> failed,
      int attempt, Supplier<CompletableFuture<Void>> again) {
    BlockDeviceException first = failed.get(0).error();
    if (attempt + 1 >= settings.maxAttempts()) return CompletableFuture.failedFuture(first);
    CompletableFuture<Long> confirmed = CompletableFuture.completedFuture(v.epoch());
    for (Outcome.DeviceFailed d : failed) {
      log.warn("{}: member {} of '{}' failed ({}); asking the manager to drop it", self, d.device(), v.name(),
          d.error().getMessage());
      confirmed = confirmed.thenCompose(e -> report.memberFailed(v.name(), d.device(), v.epoch(),
          d.error().getMessage(), d.error().error() == IoError.UNREACHABLE));
    }
    return confirmed.handle((epoch, t) -> {
      if (t != null) {
        return CompletableFuture.<Void>failedFuture(new BlockDeviceException(first.error(), first.getMessage()
            + "; and the manager could not confirm the member's failure: " + BlockDeviceException.cause(t).getMessage()));
      }
      return mapChange(v.name(), v.epoch(), epoch, settings.confirmTimeout().toMillis())
          .thenCompose(y -> again.get());
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
    long backoff = settings.retryBackoff().toMillis() * (attempt + 1);
    return mapChange(volume, usedEpoch, 0, backoff).thenCompose(x -> again.get());
  }

  /**
   * Completes when this blade's map of {@code volume} is no longer at {@code epoch} (and, with
   * {@code atLeast > 0}, reached it), or after {@code timeoutMillis} (0 = no time-out).
   */
  CompletableFuture<Void> mapChange(String volume, long epoch, long atLeast, long timeoutMillis) {
    CompletableFuture<Void> changed = new CompletableFuture<>();
    MapWaiter w = new MapWaiter(volume, epoch, atLeast, changed);
    waiters.add(w);
    mapInstalled(map.get()); // it may have changed already
    if (timeoutMillis > 0 && !changed.isDone()) {
      timer.schedule(() -> {
        waiters.remove(w);
        changed.complete(null);
      }, timeoutMillis, TimeUnit.MILLISECONDS);
    }
    return changed;
  }

  GlobalResourceMap currentMap() {
    return map.get();
  }

  static BlockDeviceException mapFailure(Throwable t) {
    Throwable c = BlockDeviceException.cause(t);
    if (c instanceof BlockDeviceException b) return b;
    if (c instanceof DataLane.LaneException l) {
      IoError e = switch (l.failure()) {
        case TIMEOUT -> IoError.TIMEOUT;
        case OVERLOADED -> IoError.OVERLOADED;
        case UNREACHABLE -> IoError.UNREACHABLE;
        case NO_ROUTE -> IoError.TIMEOUT;
        case NO_HANDLER -> IoError.UNAVAILABLE;
      };
      return new BlockDeviceException(e, l.getMessage());
    }
    return new BlockDeviceException(IoError.IO_ERROR, c.toString());
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
