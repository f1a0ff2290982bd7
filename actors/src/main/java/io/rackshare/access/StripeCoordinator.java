package io.rackshare.access;

import io.rackshare.io.Ranges;
import io.rackshare.layout.Health;
import io.rackshare.layout.Layout;
import io.rackshare.layout.Layouts;
import io.rackshare.layout.ParityLayout;
import io.rackshare.layout.ParityLayout.Stripe;
import io.rackshare.layout.StripeWrite;
import io.rackshare.layout.StripeWrite.ChunkBytes;
import io.rackshare.map.BladeId;
import io.rackshare.map.DeviceSegment;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.map.Member;
import io.rackshare.smm.DataLane;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator of parity stripes whose parity member is on this blade ({@link ParityLayout}):
 * every write to such a stripe, every read of a chunk whose member cannot be read, and every
 * rebuild of one of its chunks runs here, one at a time per stripe. That lock is what keeps
 * parity right when writers on several blades, degraded reads and a rebuild meet on one stripe.
 *
 * <p>What a write reads and writes is the layout's plan ({@link ParityLayout#planWrite}, a {@link
 * StripeWrite}: read-modify-write or reconstruct-write, and the parity); this class runs it. Reads
 * may be retried from scratch; once writing has begun, only the writes that failed are sent
 * again, with the contents already computed, to the members that are still written under the
 * current map (a member that failed meanwhile is simply left out: the parity already accounts for
 * its new data). A crash between the data and the parity write is covered by {@link IntentLog}:
 * the stripe's region is marked dirty on stable storage before the writes and its parity is
 * recomputed at the next start.
 *
 * <p>Threads: a request arrives on a lane reader thread (or the block I/O executor for this
 * blade's own requests) and is copied out of the lane's buffer there; the stripe's steps then run
 * on whichever thread completes the previous one. It sends its member requests through {@link
 * LaneClient} and judges them with {@link Retries}, as the requester side does; nothing blocks.
 */
final class StripeCoordinator {

  private static final Logger log = LoggerFactory.getLogger(StripeCoordinator.class);

  private final BladeId self;
  private final Supplier<GlobalResourceMap> map;
  private final Layouts layouts;
  private final LaneClient client;
  private final Retries retries;
  private final BlockTarget.Resync resync;
  private final IntentLog intents;
  private final io.rackshare.io.DirectBufferPool buffers;
  private final Map<String, CompletableFuture<Void>> tails = new ConcurrentHashMap<>();

  StripeCoordinator(BladeId self, Supplier<GlobalResourceMap> map, Layouts layouts, LaneClient client,
      Retries retries, BlockTarget.Resync resync, IntentLog intents, io.rackshare.io.DirectBufferPool buffers) {
    this.buffers = buffers;
    this.self = self;
    this.map = map;
    this.layouts = layouts;
    this.client = client;
    this.retries = retries;
    this.resync = resync;
    this.intents = intents;
  }

  /** Serves a stripe request from the data lane. */
  CompletionStage<DataLane.Frame> handle(BladeId from, DataLane.Frame frame) {
    BlockFrames.StripeRequest r;
    try {
      r = BlockFrames.decodeStripe(frame);
    } catch (IllegalArgumentException e) {
      log.warn("{}: malformed stripe request from {}: {}", self, from, e.getMessage());
      return CompletableFuture.completedFuture(BlockFrames.ioFailure("malformed request: " + e.getMessage()));
    }
    GlobalResourceDescriptor v = map.get().volumes().get(r.volume());
    String wrong = v == null ? "no volume '" + r.volume() + "' in this blade's map"
        : v.epoch() != r.epoch() ? "request epoch " + r.epoch() + ", this blade's epoch " + v.epoch()
        : verify(r, v);
    if (wrong != null) {
      resync.ask(r.volume(), r.epoch(), wrong);
      return CompletableFuture.completedFuture(BlockFrames.wrongTarget(v == null ? -1 : v.epoch(), self + ": " + wrong));
    }
    // The payload may sit in a buffer the lane reuses for its next request: keep a copy, in a
    // pooled direct buffer where one is free (it goes on to sockets and files without a copy).
    ByteBuffer data = null;
    if (r.type() == BlockFrames.STRIPE_WRITE) {
      ByteBuffer pooled = r.zero() ? null : buffers.acquire(r.length());
      data = pooled != null ? pooled : ByteBuffer.allocate(r.length());
      // A zeroing's new heap buffer already holds its zeros, from position 0 to its length.
      if (!r.zero()) data.put(r.data().duplicate()).flip();
    }
    ByteBuffer payload = data;
    return locked(r.volume() + "#" + r.stripe(), () -> run(r, payload))
        .whenComplete((f, e) -> buffers.release(payload));
  }

  private ParityLayout parity(GlobalResourceDescriptor v) {
    return (ParityLayout) layouts.get(v.layout());
  }

  /** Null if this blade coordinates the request's stripe under {@code v}, else why not. */
  private String verify(BlockFrames.StripeRequest r, GlobalResourceDescriptor v) {
    Layout layout = layouts.get(v.layout());
    if (!(layout instanceof ParityLayout p)) return "'" + v.name() + "' has no parity";
    if (r.stripe() >= v.memberBytes() / Math.max(1, p.stripe(v, 0).chunk())) return "no stripe " + r.stripe();
    Stripe st = p.stripe(v, r.stripe());
    Member parity = v.member(st.parityPosition());
    if (!parity.blade().equals(self) || !parity.writable()) {
      return "stripe " + r.stripe() + " of '" + v.name() + "' is coordinated by " + parity.device() + " ("
          + parity.state() + ")";
    }
    if (r.type() == BlockFrames.STRIPE_REBUILD) {
      if (r.position() < 0 || r.position() >= v.members().size()
          || !Ranges.fits(r.offset() - st.deviceOffset(), r.length(), st.chunk())) {
        return "bad rebuild range " + r.offset() + "+" + r.length() + " of position " + r.position();
      }
    } else if (!Ranges.fits(r.offset() - st.volumeOffset(), r.length(), (long) st.dataChunks() * st.chunk())) {
      return "bytes " + r.offset() + "+" + r.length() + " are not in stripe " + r.stripe();
    }
    return null;
  }

  /** Runs {@code task} after every earlier task of the same stripe has finished. */
  private CompletableFuture<DataLane.Frame> locked(String stripe, Supplier<CompletableFuture<DataLane.Frame>> task) {
    CompletableFuture<DataLane.Frame> result = new CompletableFuture<>();
    CompletableFuture<Void>[] mine = new CompletableFuture[1];
    tails.compute(stripe, (k, previous) -> {
      CompletableFuture<Void> start = previous == null ? CompletableFuture.completedFuture(null) : previous;
      mine[0] = start.thenCompose(x -> {
        CompletableFuture<DataLane.Frame> t;
        try {
          t = task.get();
        } catch (RuntimeException e) {
          t = CompletableFuture.failedFuture(e);
        }
        return t.handle((frame, e) -> {
          result.complete(e == null ? frame : answer(e));
          return null;
        });
      });
      return mine[0];
    });
    mine[0].whenComplete((x, e) -> tails.remove(stripe, mine[0]));
    return result;
  }

  private static DataLane.Frame answer(Throwable t) {
    Throwable c = BlockDeviceException.cause(t);
    return BlockFrames.failed(c instanceof BlockDeviceException b ? b
        : new BlockDeviceException(IoError.IO_ERROR, c.toString()));
  }

  /** The request under the stripe's lock, on the current map. */
  private CompletableFuture<DataLane.Frame> run(BlockFrames.StripeRequest r, ByteBuffer data) {
    GlobalResourceDescriptor v = map.get().volumes().get(r.volume());
    String wrong = v == null ? "no volume '" + r.volume() + "'" : verify(r, v);
    if (wrong != null) return CompletableFuture.completedFuture(BlockFrames.wrongTarget(v == null ? -1 : v.epoch(), self + ": " + wrong));
    ParityLayout layout = parity(v);
    Health h = layout.health(v);
    if (h.failed()) {
      return CompletableFuture.completedFuture(BlockFrames.failed(new BlockDeviceException(IoError.VOLUME_FAILED,
          "volume '" + v.name() + "' has failed: " + h.detail())));
    }
    return switch (r.type()) {
      case BlockFrames.STRIPE_WRITE -> write(r, data, 0).thenApply(x -> BlockFrames.done());
      case BlockFrames.STRIPE_READ -> read(r).thenApply(b -> new DataLane.Frame(BlockFrames.DATA,
          ByteBuffer.allocate(0), b));
      default -> rebuild(r).thenApply(x -> BlockFrames.done());
    };
  }

  // ---- reading what the stripe holds ---------------------------------------------------------

  /** Bytes {@code [within, within + n)} of chunk {@code i} (-1 = parity) of every chunk in {@code chunks}. */
  private record Reads(List<Integer> chunks, List<CompletableFuture<Outcome>> outcomes) {
    ByteBuffer of(int chunk) {
      int k = chunks.indexOf(chunk);
      return ((Outcome.Ok) outcomes.get(k).join()).reply().payload();
    }
  }

  private Reads readChunks(GlobalResourceDescriptor v, ParityLayout layout, Stripe st, List<Integer> chunks,
      int within, int n) {
    List<CompletableFuture<Outcome>> out = new ArrayList<>();
    for (int i : chunks) {
      DeviceSegment s = layout.segment(v, st, i, within, n);
      out.add(client.send(s.blade(), s.device(),
          BlockFrames.segment(BlockFrames.READ, v.name(), v.epoch(), s, false, null), true));
    }
    return new Reads(chunks, out);
  }

  private void release(Reads reads) {
    for (CompletableFuture<Outcome> f : reads.outcomes()) {
      if (f.join() instanceof Outcome.Ok ok) client.release(ok.reply().payload());
    }
  }

  /**
   * The XOR of the chunks {@code others} names (under the current map) over {@code [within,
   * within + n)}: a missing chunk's bytes from the rest of its stripe, or the parity from the data.
   * Reads are retried from scratch when a member fails or the maps disagree.
   */
  private CompletableFuture<ByteBuffer> xorOf(String volume, long stripe,
      java.util.function.BiFunction<GlobalResourceDescriptor, Stripe, List<Integer>> others, int within, int n,
      int attempt) {
    GlobalResourceDescriptor v = map.get().volumes().get(volume);
    if (v == null) {
      return CompletableFuture.failedFuture(new BlockDeviceException(IoError.NO_SUCH_VOLUME, "no volume '" + volume + "'"));
    }
    ParityLayout layout = parity(v);
    Stripe st = layout.stripe(v, stripe);
    List<Integer> chunks = others.apply(v, st);
    for (int i : chunks) {
      if (!v.member(st.position(i)).readable()) {
        return CompletableFuture.failedFuture(new BlockDeviceException(IoError.VOLUME_FAILED, "stripe " + stripe
            + " of '" + volume + "' lost two chunks"));
      }
    }
    Reads reads = readChunks(v, layout, st, chunks, within, n);
    CompletableFuture<ByteBuffer> out = new CompletableFuture<>();
    retries.settle(v, reads.outcomes(), attempt,
        () -> xorOf(volume, stripe, others, within, n, attempt + 1).thenAccept(out::complete), () -> {
          byte[] acc = new byte[n];
          for (int i : chunks) StripeWrite.xor(acc, reads.of(i));
          release(reads);
          out.complete(ByteBuffer.wrap(acc));
          return CompletableFuture.completedFuture(null);
        }).exceptionally(e -> {
          out.completeExceptionally(e);
          return null;
        });
    return out;
  }

  /** A degraded read: the bytes of a chunk whose member cannot be read, from the rest. */
  private CompletableFuture<ByteBuffer> read(BlockFrames.StripeRequest r) {
    GlobalResourceDescriptor v = map.get().volumes().get(r.volume());
    ParityLayout layout = parity(v);
    Stripe st = layout.stripe(v, r.stripe());
    long rel = r.offset() - st.volumeOffset();
    int chunk = (int) (rel / st.chunk());
    int within = (int) (rel % st.chunk());
    if (within + r.length() > st.chunk()) {
      return CompletableFuture.failedFuture(new BlockDeviceException(IoError.INVALID, "a reconstructed read crosses a chunk"));
    }
    // Should its member have come back meanwhile, it is read directly.
    return xorOf(r.volume(), r.stripe(),
        (vv, s) -> vv.member(s.position(chunk)).readable() ? List.of(chunk) : s.allBut(chunk), within, r.length(), 0);
  }

  /** Rebuilds member {@code r.position()}'s bytes of the stripe from the rest, and writes them. */
  private CompletableFuture<Void> rebuild(BlockFrames.StripeRequest r) {
    GlobalResourceDescriptor v = map.get().volumes().get(r.volume());
    ParityLayout layout = parity(v);
    Stripe st = layout.stripe(v, r.stripe());
    int target = st.chunkOf(r.position());
    int within = (int) (r.offset() - st.deviceOffset());
    Member m = v.member(r.position());
    if (m.state() != Member.State.REBUILDING) {
      return CompletableFuture.failedFuture(new BlockDeviceException(IoError.STALE_MAP,
          m.device() + " is " + m.state() + ", not being rebuilt"));
    }
    return xorOf(r.volume(), r.stripe(), (vv, s) -> s.allBut(target), within, r.length(), 0)
        .thenCompose(bytes -> writeOut(r.volume(), r.stripe(), List.of(new ChunkBytes(target, within, bytes)), false, 0));
  }

  // ---- writing -------------------------------------------------------------------------------

  private CompletableFuture<Void> write(BlockFrames.StripeRequest r, ByteBuffer data, int attempt) {
    GlobalResourceDescriptor v = map.get().volumes().get(r.volume());
    ParityLayout layout = parity(v);
    Stripe st = layout.stripe(v, r.stripe());
    StripeWrite plan = layout.planWrite(v, st, r.offset(), r.length());
    // Only reads are ever retried from here: nothing has been written yet.
    Reads reads = readChunks(v, layout, st, plan.reads(), plan.from(), plan.length());
    CompletableFuture<Void> out = new CompletableFuture<>();
    retries.settle(v, reads.outcomes(), attempt, () -> write(r, data, attempt + 1).thenAccept(out::complete), () -> {
      List<ChunkBytes> outs = plan.writes(reads::of, data);
      release(reads);
      return writeOut(r.volume(), r.stripe(), outs, r.fua(), 0).whenComplete((x, e) -> {
        // Data and parity may disagree now: recompute the parity once this write has let go.
        if (e != null) locked(r.volume() + "#" + r.stripe(), () -> recomputeParity(r.volume(), r.stripe()));
      }).thenAccept(out::complete);
    }).exceptionally(e -> {
      out.completeExceptionally(e);
      return null;
    });
    return out;
  }

  /**
   * Writes {@code outs} to the members that hold them under the current map; members no longer
   * written are left out; failed writes go again with the same contents once the map changed.
   */
  private CompletableFuture<Void> writeOut(String volume, long stripe, List<ChunkBytes> outs, boolean fua, int attempt) {
    GlobalResourceDescriptor v = map.get().volumes().get(volume);
    if (v == null) {
      return CompletableFuture.failedFuture(new BlockDeviceException(IoError.NO_SUCH_VOLUME, "no volume '" + volume + "'"));
    }
    ParityLayout layout = parity(v);
    Stripe st = layout.stripe(v, stripe);
    long region = st.deviceOffset() / layout.intentRegion(v);
    List<ChunkBytes> sent = new ArrayList<>();
    List<DeviceSegment> segments = new ArrayList<>();
    List<CompletableFuture<Outcome>> outcomes = new ArrayList<>();
    try {
      intents.begin(volume, region);
    } catch (java.io.IOException e) {
      return CompletableFuture.failedFuture(new BlockDeviceException(IoError.IO_ERROR,
          "cannot record the write intent: " + e.getMessage()));
    }
    for (ChunkBytes o : outs) {
      if (!v.member(st.position(o.chunk())).writable()) continue;
      DeviceSegment s = layout.segment(v, st, o.chunk(), o.within(), o.content().remaining());
      sent.add(o);
      segments.add(s);
      outcomes.add(client.send(s.blade(), s.device(),
          BlockFrames.segment(BlockFrames.WRITE, v.name(), v.epoch(), s, fua, o.content().duplicate()), true));
    }
    return CompletableFuture.allOf(outcomes.toArray(new CompletableFuture[0])).thenCompose(x -> {
      List<ChunkBytes> again = new ArrayList<>();
      List<CompletableFuture<Outcome>> bad = new ArrayList<>();
      for (int i = 0; i < sent.size(); i++) {
        Outcome o = outcomes.get(i).join();
        if (!(o instanceof Outcome.Ok)) {
          again.add(sent.get(i));
          bad.add(outcomes.get(i));
        }
      }
      if (again.isEmpty()) return shadows(v, segments, sent, fua, attempt, () -> writeOut(volume, stripe, outs, fua,
          attempt + 1));
      // Again with every chunk, not only the failed ones (the same bytes, under the stripe's lock):
      // on the map that comes, a member may be moving (or have moved) whose chunk landed already,
      // and its target must get that chunk too.
      return retries.settle(v, bad, attempt, () -> writeOut(volume, stripe, outs, fua, attempt + 1));
    }).whenComplete((x, e) -> intents.end(volume, region));
  }

  /**
   * The chunks of a moving member, written once the members have them to the move's target too
   * ({@link io.rackshare.layout.Moves}); a failed one goes again with the whole write.
   */
  private CompletableFuture<Void> shadows(GlobalResourceDescriptor v, List<DeviceSegment> segments,
      List<ChunkBytes> sent, boolean fua, int attempt, Supplier<CompletableFuture<Void>> again) {
    if (v.moves().isEmpty()) return CompletableFuture.completedFuture(null);
    List<CompletableFuture<Outcome>> outcomes = new ArrayList<>();
    for (int i = 0; i < segments.size(); i++) {
      java.util.Optional<DeviceSegment> t = io.rackshare.layout.Moves.shadow(v, segments.get(i));
      if (t.isEmpty()) continue;
      DeviceSegment s = t.get();
      outcomes.add(client.send(s.blade(), s.device(),
          BlockFrames.segment(BlockFrames.WRITE, v.name(), v.epoch(), s, fua, sent.get(i).content().duplicate()), true));
    }
    if (outcomes.isEmpty()) return CompletableFuture.completedFuture(null);
    return retries.settle(v, outcomes, attempt, again);
  }

  // ---- recovery after an unclean stop --------------------------------------------------------

  /**
   * Recomputes the parity of every stripe this blade coordinates in the regions its write-intent
   * log left dirty, once the volume is whole; then forgets them.
   */
  void resyncDirty(GlobalResourceMap m) {
    for (String volume : intents.dirtyVolumes()) {
      GlobalResourceDescriptor v = m.volumes().get(volume);
      if (v == null || !(layouts.get(v.layout()) instanceof ParityLayout layout)) continue;
      if (layout.health(v).status() != Health.Status.OPTIMAL) {
        log.warn("{}: '{}' has stripes written before an unclean stop; their parity is recomputed once the "
            + "volume is whole again ({})", self, volume, layout.health(v).detail());
        continue;
      }
      for (long region : intents.claim(volume)) {
        long stripes = v.memberBytes() / layout.stripe(v, 0).chunk();
        long perRegion = layout.intentRegion(v) / layout.stripe(v, 0).chunk();
        List<CompletableFuture<DataLane.Frame>> all = new ArrayList<>();
        for (long s = region * perRegion; s < Math.min(stripes, (region + 1) * perRegion); s++) {
          Stripe st = layout.stripe(v, s);
          if (!v.member(st.parityPosition()).blade().equals(self)) continue;
          long stripe = s;
          all.add(locked(volume + "#" + s, () -> recomputeParity(volume, stripe)));
        }
        CompletableFuture.allOf(all.toArray(new CompletableFuture[0])).whenComplete((x, e) -> {
          boolean ok = all.stream().allMatch(f -> f.join().type() == BlockFrames.DONE);
          log.info("{}: parity of region {} of '{}' recomputed after an unclean stop{}", self, region, volume,
              ok ? "" : " (some stripes failed; they stay dirty)");
          intents.resynced(volume, region, ok);
        });
      }
    }
  }

  private CompletableFuture<DataLane.Frame> recomputeParity(String volume, long stripe) {
    GlobalResourceDescriptor v = map.get().volumes().get(volume);
    if (v == null) return CompletableFuture.completedFuture(BlockFrames.done());
    int chunk = (parity(v)).stripe(v, stripe).chunk();
    return xorOf(volume, stripe, (vv, st) -> st.allBut(-1), 0, chunk, 0)
        .thenCompose(p -> writeOut(volume, stripe, List.of(new ChunkBytes(-1, 0, p)), true, 0))
        .handle((x, e) -> e == null ? BlockFrames.done() : answer(e));
  }
}
