package io.rackshare.access;

import io.rackshare.layout.Layout;
import io.rackshare.layout.LayoutOptions;
import io.rackshare.layout.Layouts;
import io.rackshare.layout.RebuildStep;
import io.rackshare.manager.ManagerProtocol;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.Member;
import io.rackshare.smm.SmmHandler;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Rebuilds one member of this blade that the map says is being rebuilt (a hot spare that took a
 * failed member's place, or a member that came back stale), front to back in steps of {@code
 * rackshare.access.rebuild-step}, {@code rebuild-depth} of them at once, no faster than the
 * volume's {@code rebuild-rate}. A member that
 * came back gets only the regions written since it failed, if an in-sync copy saw it fail and
 * can say which ({@link DirtyRegions}); otherwise, and for a spare, every byte. Client writes
 * go on meanwhile (they reach the member too, see {@link AccessPath}). Progress goes to every
 * blade about once a second; when done, it tells the manager, until the map shows the member in
 * sync. The {@link AccessDriver} starts and stops it as maps come.
 *
 * <p>The same actor copies a moving member to its target on this blade ({@link
 * io.rackshare.map.Move}, {@code move}): every byte of the member's data, read from the member
 * itself under the target range's lock, while writes reach the target after the member; when
 * done it tells the manager ({@link ManagerProtocol.MoveDone}) until the map shows the switch.
 */
final class Rebuilder extends AbstractBehavior<Rebuilder.Command> {

  sealed interface Command {}

  private record StepDone(long at, long bytes, Throwable failure) implements Command {}

  /** What to rebuild: device byte ranges, or null: all of it. */
  private record Planned(List<long[]> ranges, Throwable failure) implements Command {}

  private enum Next implements Command { INSTANCE }

  /** The filled device was flushed (or not: {@code failure}). */
  private record Flushed(Throwable failure) implements Command {}

  /** Flush the filled device again (the last flush failed). */
  private enum FlushAgain implements Command { INSTANCE }

  record Context(BladeId self, AccessPath path, Layouts layouts, AccessSettings settings,
      ActorRef<SmmHandler.Command> smm) {}

  static Behavior<Command> create(Context c, String volume, int position, DevicePath device, long since) {
    return create(c, volume, position, device, since, false);
  }

  /** With {@code move}: copies the member at {@code position} to {@code device}, its move's target. */
  static Behavior<Command> create(Context c, String volume, int position, DevicePath device, long since,
      boolean move) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(t -> new Rebuilder(ctx, t, c, volume, position, device, since,
        move)));
  }

  private static final Duration PROGRESS_EVERY = Duration.ofSeconds(1);
  private static final Duration DONE_AGAIN = Duration.ofSeconds(3);

  private final TimerScheduler<Command> timers;
  private final Context c;
  private final String volume;
  private final int position;
  private final DevicePath device;
  private final long since;
  private final boolean move;
  private final long startNanos = System.nanoTime();
  private long done;
  private long total = -1;
  /** Device byte ranges {@code [start, end)} to rebuild, in order; null until planned. */
  private List<long[]> ranges;
  private int range;
  private long inRange;
  private int planAttempts;
  private boolean planning;
  /** Steps sent and not answered yet, and the bytes they cover. */
  private int inFlight;
  private long issued;
  /** Steps that failed, {@code {at, bytes}}: sent again after the pause. */
  private final java.util.ArrayDeque<long[]> again = new java.util.ArrayDeque<>();
  private long pausedUntil;
  private long lastProgressNanos;
  private long bytesAtLastProgress;
  private double rate;
  private boolean finished;

  private Rebuilder(ActorContext<Command> ctx, TimerScheduler<Command> timers, Context c, String volume,
      int position, DevicePath device, long since, boolean move) {
    super(ctx);
    this.move = move;
    this.timers = timers;
    this.c = c;
    this.volume = volume;
    this.position = position;
    this.device = device;
    this.since = since;
    this.lastProgressNanos = startNanos;
    ctx.getLog().info("{} {} of '{}' (position {}, since epoch {})", move ? "moving into" : "rebuilding", device,
        volume, position, since);
    ctx.getSelf().tell(Next.INSTANCE);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessageEquals(Next.INSTANCE, this::step)
        .onMessage(StepDone.class, this::onStepDone)
        .onMessage(Planned.class, this::onPlanned)
        .onMessage(Flushed.class, this::onFlushed)
        .onMessageEquals(FlushAgain.INSTANCE, () -> {
          flush();
          return this;
        })
        .build();
  }

  /** The volume, if the map still says this member is being rebuilt here. */
  private GlobalResourceDescriptor current() {
    GlobalResourceDescriptor v = c.path().currentMap().volumes().get(volume);
    if (v == null || position >= v.members().size()) return null;
    if (move) {
      return v.move(position).filter(m -> m.target().equals(device) && m.since() == since).isPresent() ? v : null;
    }
    Member m = v.member(position);
    return m.device().equals(device) && m.state() == Member.State.REBUILDING && m.since() == since ? v : null;
  }

  private Behavior<Command> step() {
    GlobalResourceDescriptor v = current();
    if (v == null) return Behaviors.stopped();
    if (finished) {
      // The manager has not marked it in sync yet (or the message was lost in a failover).
      c.smm().tell(new SmmHandler.SendToManager(move
          ? new ManagerProtocol.MoveDone(c.self(), volume, position, device, since)
          : new ManagerProtocol.RebuildDone(c.self(), volume, position, device, since)));
      timers.startSingleTimer(Next.INSTANCE, DONE_AGAIN);
      return this;
    }
    Layout layout = c.layouts().get(v.layout());
    if (layout.health(v).failed() || (move && !v.member(position).readable())) {
      // Nothing to rebuild from until a missing member returns.
      timers.startSingleTimer(Next.INSTANCE, c.settings().rebuildStepPause());
      return this;
    }
    if (ranges == null) {
      if (!planning) plan(v, layout);
      return this;
    }
    fill(v, layout);
    return this;
  }

  /**
   * Sends steps until {@code rackshare.access.rebuild-depth} are in flight, no faster than the
   * volume's {@code rebuild-rate}; steps cover different ranges, so they do not wait for each
   * other (each locks its own range).
   */
  private void fill(GlobalResourceDescriptor v, Layout layout) {
    long now = System.nanoTime();
    if (now - pausedUntil < 0) {
      timers.startSingleTimer(Next.INSTANCE, Duration.ofNanos(pausedUntil - now));
      return;
    }
    long limit = LayoutOptions.rebuildRate(v);
    while (inFlight < c.settings().rebuildDepth()) {
      long waitNanos = limit <= 0 ? 0 : (long) (issued * 1e9 / limit) - (System.nanoTime() - startNanos);
      if (waitNanos > 0) {
        timers.startSingleTimer(Next.INSTANCE, Duration.ofNanos(waitNanos));
        return;
      }
      long[] piece = !again.isEmpty() ? again.poll() : nextPiece();
      if (piece == null) return;
      long at = piece[0];
      long n = piece[1];
      inFlight++;
      issued += n;
      CompletableFuture<Void> all;
      try {
        List<RebuildStep> steps = move
            ? layout.memberSegments(v, position, at, (int) n).stream()
                .<RebuildStep>map(s -> new RebuildStep.Copy(s, io.rackshare.layout.Moves.on(s, device))).toList()
            : layout.rebuild(v, position, at, (int) n);
        all = CompletableFuture.allOf(steps.stream().map(s -> c.path().rebuild(v, s)).toArray(CompletableFuture[]::new));
      } catch (RuntimeException e) {
        all = CompletableFuture.failedFuture(e);
      }
      getContext().pipeToSelf(all, (ok, failure) -> new StepDone(at, n, failure));
    }
  }

  /** The next step of the ranges, {@code {at, bytes}}, or null when all are sent. */
  private long[] nextPiece() {
    if (range >= ranges.size()) return null;
    long[] r = ranges.get(range);
    long at = r[0] + inRange;
    long n = Math.min(c.settings().rebuildStepBytes(), r[1] - at);
    inRange += n;
    if (r[0] + inRange >= r[1]) {
      range++;
      inRange = 0;
    }
    return new long[] {at, n};
  }

  private Behavior<Command> onStepDone(StepDone d) {
    inFlight--;
    if (d.failure() != null) {
      issued -= d.bytes();
      again.add(new long[] {d.at(), d.bytes()});
      getContext().getLog().info("rebuild of {} of '{}' at byte {}: {}; trying again", device, volume, d.at(),
          BlockDeviceException.cause(d.failure()).getMessage());
      pausedUntil = System.nanoTime() + c.settings().rebuildStepPause().toNanos();
      timers.startSingleTimer(Next.INSTANCE, c.settings().rebuildStepPause());
      return this;
    }
    done += d.bytes();
    long now = System.nanoTime();
    if (done >= total) {
      flush();
      return this;
    }
    if (now - lastProgressNanos >= PROGRESS_EVERY.toNanos()) progress(now, false);
    return step();
  }

  /** Forces what the steps wrote to stable storage before telling anyone the device is filled. */
  private void flush() {
    GlobalResourceDescriptor v = current();
    if (v == null) {
      getContext().getSelf().tell(Next.INSTANCE); // the map moved on: step() stops
      return;
    }
    getContext().pipeToSelf(c.path().flushFilled(v, device), (x, failure) -> new Flushed(failure));
  }

  private Behavior<Command> onFlushed(Flushed f) {
    if (current() == null) return Behaviors.stopped();
    if (f.failure() != null) {
      getContext().getLog().info("flushing {} of '{}': {}; trying again", device, volume,
          BlockDeviceException.cause(f.failure()).getMessage());
      timers.startSingleTimer(FlushAgain.INSTANCE, c.settings().rebuildStepPause());
      return this;
    }
    long now = System.nanoTime();
    finished = true;
    progress(now, true);
    getContext().getLog().info("{} {} of '{}': {} KiB in {} ms", move ? "moved into" : "rebuilt", device, volume,
        total >> 10, (now - startNanos) / 1_000_000L);
    getContext().getSelf().tell(Next.INSTANCE);
    return this;
  }

  /**
   * Decides what to rebuild: for a member that missed writes from an epoch on, asks its in-sync
   * copies which regions were written since; any that can say is enough (each was written with
   * everything). Asked again a few times if the maps are out of step, then rebuilt whole.
   */
  private void plan(GlobalResourceDescriptor v, Layout layout) {
    planning = true;
    if (move) {
      // A move copies every byte of the member's data.
      getContext().getSelf().tell(new Planned(null, null));
      return;
    }
    Member m = v.member(position);
    List<Integer> witnesses = m.missedFrom() == 0 ? List.of()
        : layout.witnesses(v, position).stream().filter(i -> v.member(i).readable()).toList();
    if (witnesses.isEmpty()) {
      getContext().getSelf().tell(new Planned(null, null));
      return;
    }
    List<CompletableFuture<List<long[]>>> asked = witnesses.stream().map(i -> c.path().missed(v, i, position)).toList();
    CompletableFuture<List<long[]>> first = CompletableFuture.allOf(asked.toArray(CompletableFuture[]::new))
        .thenApply(x -> asked.stream().map(CompletableFuture::join).filter(java.util.Objects::nonNull)
            .findFirst().orElse(null));
    getContext().pipeToSelf(first, (ranges, failure) -> new Planned(ranges, failure));
  }

  private Behavior<Command> onPlanned(Planned p) {
    planning = false;
    GlobalResourceDescriptor v = current();
    if (v == null) return Behaviors.stopped();
    Layout layout = c.layouts().get(v.layout());
    long start = move ? layout.moveRange(v, position)[0] : 0;
    long size = move ? layout.moveRange(v, position)[1] : layout.rebuildBytes(v);
    if (p.failure() != null && ++planAttempts < 5) {
      getContext().getLog().info("rebuild of {} of '{}': {}; asking again", device, volume,
          BlockDeviceException.cause(p.failure()).getMessage());
      timers.startSingleTimer(Next.INSTANCE, c.settings().rebuildStepPause());
      return this;
    }
    if (p.ranges() == null) {
      if (!move && v.member(position).missedFrom() != 0) {
        getContext().getLog().info("rebuilding {} of '{}' whole: no in-sync copy can say what it missed since epoch {}",
            device, volume, v.member(position).missedFrom());
      }
      ranges = List.of(new long[] {start, size});
      total = size - start;
    } else {
      ranges = p.ranges().stream().filter(r -> r[0] < size && r[1] > r[0])
          .map(r -> new long[] {r[0], Math.min(r[1], size)}).toList();
      total = ranges.stream().mapToLong(r -> r[1] - r[0]).sum();
      getContext().getLog().info("rebuilding {} of '{}': {} of {} KiB, the regions written since epoch {}", device,
          volume, total >> 10, size >> 10, v.member(position).missedFrom());
    }
    if (total == 0) {
      // Nothing was written while it was away.
      finished = true;
      progress(System.nanoTime(), true);
    }
    getContext().getSelf().tell(Next.INSTANCE);
    return this;
  }

  private void progress(long now, boolean end) {
    double seconds = (now - lastProgressNanos) / 1e9;
    if (seconds > 0) {
      double recent = (done - bytesAtLastProgress) / seconds;
      rate = rate == 0 ? recent : 0.5 * rate + 0.5 * recent;
    }
    lastProgressNanos = now;
    bytesAtLastProgress = done;
    c.smm().tell(new SmmHandler.Broadcast(new ManagerProtocol.RebuildProgress(volume, position, device, since,
        Math.min(done, total), total, end ? done / Math.max(1e-9, (now - startNanos) / 1e9) : rate, end)));
  }
}
