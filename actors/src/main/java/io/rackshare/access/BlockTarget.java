package io.rackshare.access;

import io.rackshare.driver.BlockStore;
import io.rackshare.driver.MediaDrive;
import io.rackshare.driver.MemoryBlockStore;
import io.rackshare.layout.Layout;
import io.rackshare.layout.Moves;
import io.rackshare.layout.Layouts;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.map.Member;
import io.rackshare.smm.DataLane;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The target side of an access (blocks 712-716): verifies that a block request routed under its
 * sender's map epoch really is for a device of this blade and a piece of that volume, then has
 * the device's store serve it on the I/O executor. On a mismatch it answers "wrong target" and
 * asks the manager to resynchronise the maps (0081).
 */
final class BlockTarget implements DataLane.Handler {

  private static final Logger log = LoggerFactory.getLogger(BlockTarget.class);

  private final BladeId self;
  private final Supplier<GlobalResourceMap> map;
  private final Layouts layouts;
  private final Parts stores;
  private final Executor io;
  private final Resync resync;
  private final io.rackshare.io.DirectBufferPool buffers;
  private final RangeLocks locks;
  private final StripeCoordinator coordinator;
  private final DirtyRegions dirty;
  private final WritesInFlight writes = new WritesInFlight();

  BlockTarget(BladeId self, Supplier<GlobalResourceMap> map, Layouts layouts,
      Parts stores, Executor io, Resync resync, io.rackshare.io.DirectBufferPool buffers,
      RangeLocks locks, StripeCoordinator coordinator, DirtyRegions dirty) {
    this.dirty = dirty;
    this.buffers = buffers;
    this.locks = locks;
    this.coordinator = coordinator;
    this.self = self;
    this.map = map;
    this.layouts = layouts;
    this.stores = stores;
    this.io = io;
    this.resync = resync;
  }

  @Override
  public CompletionStage<DataLane.Frame> handle(BladeId from, DataLane.Frame frame) {
    if (BlockFrames.isStripe(frame.type())) return coordinator.handle(from, frame);
    if (frame.type() == BlockFrames.MISSED) return CompletableFuture.completedFuture(missed(from, frame));
    BlockFrames.Request r;
    try {
      r = BlockFrames.decode(frame);
    } catch (IllegalArgumentException e) {
      log.warn("{}: malformed block request from {}: {}", self, from, e.getMessage());
      return CompletableFuture.completedFuture(BlockFrames.ioFailure("malformed request: " + e.getMessage()));
    }
    if (r.type() == BlockFrames.WRITE || r.type() == BlockFrames.ZERO) {
      // Noted before the epoch is checked: see DirtyRegions.
      dirty.writing(r.device(), r.segment().deviceOffset(), r.segment().length(), r.epoch());
      // In flight until stored: a copy that starts meanwhile (a newer epoch) reads after it.
      writes.begin(r.device(), r.epoch());
      BlockFrames.Request w = r;
      return serveRequest(from, r).whenComplete((x, e) -> writes.end(w.device(), w.epoch()));
    }
    if (r.type() == BlockFrames.READ && r.rebuild()) {
      // A rebuild's or a move's copy of this member: not before the writes admitted under older
      // epochs (which do not reach the copy's target) are stored.
      CompletableFuture<Void> older = writes.olderDone(r.device(), r.epoch());
      BlockFrames.Request q = r;
      if (!older.isDone()) return older.thenCompose(x -> serveRequest(from, q));
    }
    return serveRequest(from, r);
  }

  /** Writes admitted on {@code device} and not yet stored, for tests. */
  int writesInFlight(io.rackshare.map.DevicePath device) {
    return writes.inFlight(device);
  }

  /** Verifies request {@code r} against this blade's map and serves it. */
  private CompletableFuture<DataLane.Frame> serveRequest(BladeId from, BlockFrames.Request r) {
    GlobalResourceDescriptor v = map.get().volumes().get(r.volume());
    String wrong = verify(r, v);
    if (wrong != null) return CompletableFuture.completedFuture(wrongTarget(r.volume(), r.epoch(), v, wrong));
    BlockStore device = stores.store(r.device(), v);
    BlockStore store = device instanceof MediaDrive drive ? medium(r, v, drive) : device;
    if (device instanceof MediaDrive && store == null) {
      return CompletableFuture.completedFuture(wrongTarget(r.volume(), r.epoch(), v,
          r.device() + " holds another medium than this map's (it was changed or ejected)"));
    }
    String lost = lostContent(r, v, store);
    if (lost != null) return CompletableFuture.completedFuture(BlockFrames.ioFailure(lost));
    boolean remote = !from.equals(self);
    if ((r.type() == BlockFrames.WRITE || r.type() == BlockFrames.ZERO) && !(r.rebuild() && !remote)) {
      // A rebuild may be copying this range into the member: wait for it to let go.
      CompletableFuture<Void> free = locks.whenFree(r.device(), r.segment().deviceOffset(), r.segment().length());
      if (!free.isDone()) {
        BlockFrames.Request request = remote && r.type() == BlockFrames.WRITE ? copied(r) : r;
        return free.thenCompose(x -> serveOnIo(request, store, remote));
      }
    }
    if (r.type() == BlockFrames.WRITE && !r.fua()) {
      // Into the page cache at once, from the lane's buffer (or the local caller's): no copy, no
      // thread hand-off.
      return CompletableFuture.completedFuture(serve(r, store, remote, buffers));
    }
    if (!remote && r.type() == BlockFrames.READ && CallerRuns.active()) {
      // The caller may block and waits for this read alone: no hand-off (see CallerRuns).
      return CompletableFuture.completedFuture(serve(r, store, false, buffers));
    }
    if (remote && r.type() == BlockFrames.WRITE) {
      // The lane reuses its buffer: keep a copy for the I/O thread that waits for stable storage.
      r = copied(r);
    }
    return serveOnIo(r, store, remote);
  }

  private static BlockFrames.Request copied(BlockFrames.Request r) {
    ByteBuffer copy = ByteBuffer.allocate(r.data().remaining()).put(r.data().duplicate()).flip();
    return new BlockFrames.Request(r.type(), r.volume(), r.epoch(), r.segment(), r.device(), r.fua(), r.rebuild(), copy);
  }

  private CompletableFuture<DataLane.Frame> serveOnIo(BlockFrames.Request request, BlockStore store, boolean remote) {
    CompletableFuture<DataLane.Frame> out = new CompletableFuture<>();
    try {
      io.execute(() -> out.complete(serve(request, store, remote, buffers)));
    } catch (RejectedExecutionException e) {
      out.complete(BlockFrames.ioFailure("I/O executor rejected the request"));
    }
    return out;
  }

  /** Answers which regions of a copy of this blade a failed copy missed (a rebuild asks). */
  private DataLane.Frame missed(BladeId from, DataLane.Frame frame) {
    BlockFrames.MissedRequest q;
    try {
      q = BlockFrames.decodeMissed(frame);
    } catch (IllegalArgumentException e) {
      log.warn("{}: malformed question from {}: {}", self, from, e.getMessage());
      return BlockFrames.ioFailure("malformed request: " + e.getMessage());
    }
    GlobalResourceDescriptor v = map.get().volumes().get(q.volume());
    String wrong = sameMap(q.volume(), q.epoch(), v);
    if (wrong == null && (stores.store(q.device(), v) == null
        || v.members().stream().noneMatch(m -> m.device().equals(q.device()) && m.readable()))) {
      wrong = q.device() + " is not an in-sync copy of '" + q.volume() + "' on " + self;
    }
    if (wrong != null) return wrongTarget(q.volume(), q.epoch(), v, wrong);
    return BlockFrames.regions(dirty.writtenSince(q.volume(), q.position(), q.failed(), q.missedFrom(), q.device()));
  }

  /**
   * The medium in {@code drive} if it is the one the map's member holds, else null: a request is
   * served from the medium the map names, never from one inserted since (or after an eject).
   */
  private static BlockStore medium(BlockFrames.Request r, GlobalResourceDescriptor v, MediaDrive drive) {
    int i = v.positionOf(r.device());
    return i < 0 ? null : drive.holding(v.member(i).incarnation());
  }

  /**
   * Why this blade's memory cannot serve member {@code r.device()}: the map says the member holds
   * the content of another incarnation of it (this blade restarted, and the manager has not
   * heard yet); null otherwise. Answered as an I/O error, so the requester reports the member
   * failed instead of reading the fresh memory's zeros as the volume's bytes.
   */
  private static String lostContent(BlockFrames.Request r, GlobalResourceDescriptor v,
      BlockStore store) {
    if (!(store instanceof MemoryBlockStore m)) return null;
    int i = v.positionOf(r.device());
    if (i < 0) return null;
    Member member = v.member(i);
    if (member.state() == Member.State.REBUILDING || m.incarnation().equals(member.incarnation())) {
      return null;
    }
    return r.device() + " is memory whose content is gone (its blade restarted): the map has it holding "
        + member.incarnation() + ", it is " + m.incarnation();
  }

  /** Null if this blade's descriptor {@code v} of {@code volume} is at {@code epoch}, else why not. */
  private static String sameMap(String volume, long epoch, GlobalResourceDescriptor v) {
    if (v == null) return "no volume '" + volume + "' in this blade's map";
    if (v.epoch() != epoch) return "request epoch " + epoch + ", this blade's epoch " + v.epoch();
    return null;
  }

  /** The local maps disagree: have the manager resynchronise them, and tell the requester. */
  private DataLane.Frame wrongTarget(String volume, long epoch, GlobalResourceDescriptor v, String wrong) {
    resync.ask(volume, epoch, wrong);
    return BlockFrames.wrongTarget(v == null ? -1 : v.epoch(), self + ": " + wrong);
  }

  /** Null if this blade holds exactly that piece under the request's epoch, else why not. */
  private String verify(BlockFrames.Request r, GlobalResourceDescriptor v) {
    String stale = sameMap(r.volume(), r.epoch(), v);
    if (stale != null) return stale;
    if (stores.store(r.device(), v) == null) return r.device() + " is not a device of " + self;
    Layout layout = layouts.get(v.layout());
    if (r.type() == BlockFrames.FLUSH) {
      return Moves.flushed(layout, v).contains(r.device()) ? null
          : r.device() + " is not a member of '" + r.volume() + "'";
    }
    boolean write = r.type() != BlockFrames.READ && r.type() != BlockFrames.STATUS;
    if (!layout.owns(v, r.segment(), write) && !Moves.owns(layout, v, r.segment(), write)) {
      return (r.segment().isParity() ? "parity" : "bytes " + r.segment().volumeOffset()) + "+" + r.segment().length()
          + " of '" + r.volume() + "' are not at " + r.device() + " offset " + r.segment().deviceOffset()
          + (write ? " on a member written" : " on a member read") + " at epoch " + v.epoch();
    }
    return stores.notReady(r.device(), r.segment().deviceOffset(), r.segment().length(), v);
  }

  private static DataLane.Frame serve(BlockFrames.Request r, BlockStore store, boolean remote,
      io.rackshare.io.DirectBufferPool buffers) {
    try {
      if (r.type() != BlockFrames.FLUSH && !store.inRange(r.segment().deviceOffset(), r.segment().length())) {
        return BlockFrames.ioFailure("range " + r.segment().deviceOffset() + "+" + r.segment().length()
            + " outside " + r.device() + " (" + store.size() + " bytes)");
      }
      switch (r.type()) {
        case BlockFrames.READ -> {
          long offset = r.segment().deviceOffset();
          int length = r.segment().length();
          if (remote) {
            // Straight from the device to the lane's socket when the reply is written.
            return BlockFrames.data(new DataLane.Transfer() {
              @Override
              public long size() {
                return length;
              }

              @Override
              public void writeTo(java.nio.channels.WritableByteChannel ch) throws IOException {
                store.transferTo(offset, length, ch);
              }
            });
          }
          // A local requester gets a pooled direct buffer for large reads (it releases it).
          ByteBuffer pooled = length > 64 * 1024 ? buffers.acquire(length) : null;
          if (pooled == null) return BlockFrames.data(store.read(offset, length));
          try {
            store.read(offset, pooled);
          } catch (IOException | RuntimeException e) {
            buffers.release(pooled);
            throw e;
          }
          return new DataLane.Frame(BlockFrames.DATA, ByteBuffer.allocate(0), pooled.flip());
        }
        case BlockFrames.WRITE -> store.write(r.segment().deviceOffset(), r.data(), r.fua());
        case BlockFrames.ZERO -> store.writeZeroes(r.segment().deviceOffset(), r.segment().length(), r.fua());
        case BlockFrames.STATUS -> {
          return BlockFrames.regions(store.allocated(r.segment().deviceOffset(), r.segment().length()));
        }
        default -> store.flush();
      }
      return BlockFrames.done();
    } catch (IOException | RuntimeException e) {
      log.warn("I/O error on {}: {}", r.device(), e.toString());
      return BlockFrames.ioFailure(r.device() + ": " + e);
    }
  }

  /** Asks the manager, at most once per debounce time and volume, to resynchronise the maps. */
  interface Resync {
    void ask(String volume, long seenEpoch, String reason);
  }
}
