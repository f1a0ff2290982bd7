package io.rackshare.manager;

import io.rackshare.layout.Layouts;
import io.rackshare.map.BladeId;
import io.rackshare.map.VolumeSpec;
import io.rackshare.smm.SmmHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The global resource manager (608): collects the blades' device paths and configurations,
 * aggregates them into the declared volumes, sends the global resource map to every blade
 * (blocks 514-518), and keeps the volumes' members' states: it fails members whose blade left or
 * that a blade reports failed, activates hot spares, takes returning members back and marks
 * rebuilt ones in sync (0092). One runs in the cluster; it lives on a blade and talks only through
 * that blade's {@link SmmHandler}.
 *
 * <p>Event-sourced: every change is a {@link ManagerEvent} persisted before it takes effect, and
 * {@link ManagerState#apply} rebuilds the state from the journal (plus snapshots) when a manager
 * starts. The journal is {@code rackshare.manager.journal-plugin}; the default, Pekko's in-memory
 * journal, lives and dies with the blade, and a manager that starts without history rebuilds the
 * map from the maps the blades report.
 *
 * <p>Every map it sends is a request that each blade answers once it routes with it. A member's
 * failure is confirmed to the blade that reported it only when the failed device's own blade
 * routes with the new map (or is gone): from then on it refuses requests made with the old map,
 * so no blade reads the stale member, and the reporter may acknowledge its write.
 */
public final class ResourceManager
    extends EventSourcedBehavior<ResourceManager.Command, ManagerEvent, ManagerState> {

  public static final PersistenceId PERSISTENCE_ID = PersistenceId.ofUniqueId("rackshare-manager");

  /**
   * The manager's commands: {@link GetState} (status pages, tests) and {@link Wake} (sent to start
   * the manager), and privately the OOB deliveries of {@link ManagerProtocol} messages its blade's
   * {@link SmmHandler} hands it,
   * topology changes, the blades' acknowledgements of each map, and its timers. Each is handled on
   * the manager's actor; changes are persisted as {@link ManagerEvent}s before they take effect.
   */
  public sealed interface Command {}

  /** The current state, for status pages and tests. */
  public record GetState(ActorRef<ManagerState> replyTo) implements Command {}

  /** Starts the manager where its shard lives (lowest-slot nomination); otherwise nothing. */
  public record Wake() implements Command, io.rackshare.serialization.RackshareSerializable {}

  private record FromOob(SmmHandler.Delivery delivery) implements Command {}

  private record TopologyChanged(SmmHandler.Topology topology) implements Command {}

  private record MapAck(SmmHandler.Response response) implements Command {}

  private enum Tick implements Command { INSTANCE }

  /** Looks at the members waiting for confirmation again (a fence may have come due). */
  private enum WaitersTick implements Command { INSTANCE }

  /**
   * {@code journalPlugin} and {@code snapshotPlugin} are Pekko persistence plugin ids ("" for the
   * defaults); {@code snapshotEvery} events a snapshot is taken (0: never).
   */
  public record Settings(List<VolumeSpec> volumes, Layouts layouts, Duration resyncDebounce,
      Duration confirmTimeout, Duration offlineRetry, String journalPlugin, String snapshotPlugin,
      int snapshotEvery, Duration fenceAfter, Duration replaceFailedAfter, Pool.Settings pool) {

    public Settings(List<VolumeSpec> volumes, Layouts layouts, Duration resyncDebounce, Duration confirmTimeout,
        Duration offlineRetry, String journalPlugin, String snapshotPlugin, int snapshotEvery, Duration fenceAfter,
        Duration replaceFailedAfter) {
      this(volumes, layouts, resyncDebounce, confirmTimeout, offlineRetry, journalPlugin, snapshotPlugin,
          snapshotEvery, fenceAfter, replaceFailedAfter, Pool.Settings.DEFAULT);
    }

    public Settings(List<VolumeSpec> volumes, Layouts layouts, Duration resyncDebounce, Duration confirmTimeout,
        Duration offlineRetry, String journalPlugin, String snapshotPlugin, int snapshotEvery, Duration fenceAfter) {
      this(volumes, layouts, resyncDebounce, confirmTimeout, offlineRetry, journalPlugin, snapshotPlugin,
          snapshotEvery, fenceAfter, null);
    }

    public Settings(List<VolumeSpec> volumes, Layouts layouts, Duration resyncDebounce, Duration confirmTimeout,
        Duration offlineRetry, String journalPlugin, String snapshotPlugin, int snapshotEvery) {
      this(volumes, layouts, resyncDebounce, confirmTimeout, offlineRetry, journalPlugin, snapshotPlugin,
          snapshotEvery, Duration.ofSeconds(4));
    }

    public Settings(List<VolumeSpec> volumes, Layouts layouts, Duration resyncDebounce, Duration confirmTimeout,
        Duration offlineRetry) {
      this(volumes, layouts, resyncDebounce, confirmTimeout, offlineRetry, "pekko.persistence.journal.inmem", "", 0);
    }
  }

  public static Behavior<Command> create(ActorRef<SmmHandler.Command> smm, Settings settings) {
    return create(smm, settings, r -> {});
  }

  /**
   * How a manager started: the journal's last sequence number, how many events it replayed on top
   * of the snapshot it loaded (a short tail when a live backup kept snapshotting), and how long its
   * recovery took.
   */
  public record Recovered(long sequenceNr, long replayedEvents, long recoveryMillis, long mapEpoch) {}

  /** As above; {@code onRecovered} hears once the manager has recovered and accepts changes. */
  public static Behavior<Command> create(ActorRef<SmmHandler.Command> smm, Settings settings,
      Consumer<Recovered> onRecovered) {
    return create(smm, settings, onRecovered, System.currentTimeMillis(), () -> true);
  }

  /**
   * As above, announced as {@code incarnation} (a later one wins on every blade), and acting only
   * while {@code authority} holds: it is asked before every command that may change the map, and
   * a manager that finds it gone stops at once, without a change (see {@link ManagerSeat}).
   */
  public static Behavior<Command> create(ActorRef<SmmHandler.Command> smm, Settings settings,
      Consumer<Recovered> onRecovered, long incarnation, java.util.function.BooleanSupplier authority) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
        new ResourceManager(ctx, timers, smm, settings, onRecovered, incarnation, authority)));
  }

  /** A blade waits for the confirmation of a member's failure. */
  private record Waiter(long epoch, BladeId deviceBlade, SmmHandler.Responder responder, long deadline) {}

  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final ActorRef<SmmHandler.Command> smm;
  private final Settings settings;
  private final long incarnation;
  private final java.util.function.BooleanSupplier authority;
  private final ActorRef<SmmHandler.Response> acks;
  private final Map<BladeId, Long> acked = new HashMap<>();
  private final List<Waiter> waiters = new ArrayList<>();
  private Set<BladeId> peers = Set.of();
  /** Since when each blade the failure detector suspects has been suspected (System.nanoTime). */
  private final Map<BladeId, Long> unreachableSince = new HashMap<>();
  private boolean strictMajority = true;
  private long lastResyncNanos = System.nanoTime() - Duration.ofDays(1).toNanos();
  private final Consumer<Recovered> onRecovered;
  private final long startedNanos = System.nanoTime();
  private boolean recovering = true;
  private long replayed;

  private ResourceManager(ActorContext<Command> ctx, TimerScheduler<Command> timers,
      ActorRef<SmmHandler.Command> smm, Settings settings, Consumer<Recovered> onRecovered, long incarnation,
      java.util.function.BooleanSupplier authority) {
    super(PERSISTENCE_ID);
    this.incarnation = incarnation;
    this.authority = authority;
    this.onRecovered = onRecovered;
    this.ctx = ctx;
    this.timers = timers;
    this.smm = smm;
    this.settings = settings;
    this.acks = ctx.messageAdapter(SmmHandler.Response.class, MapAck::new);
  }

  @Override
  public String journalPluginId() {
    return settings.journalPlugin();
  }

  @Override
  public String snapshotPluginId() {
    return settings.snapshotPlugin();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return settings.snapshotEvery() > 0
        ? RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 2)
        : RetentionCriteria.disabled();
  }

  @Override
  public ManagerState emptyState() {
    return ManagerState.EMPTY;
  }

  @Override
  public EventHandler<ManagerState, ManagerEvent> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent((state, event) -> {
      if (recovering) replayed++;
      return state.apply(event);
    });
  }

  @Override
  public SignalHandler<ManagerState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          recovering = false;
          Recovered r = new Recovered(lastSequenceNumber(ctx), replayed,
              (System.nanoTime() - startedNanos) / 1_000_000, state.map().epoch());
          // Who is there first (the SMM handler answers at once), then announce: only a recovered
          // manager announces itself, and blades register with it from then on.
          smm.tell(new SmmHandler.SubscribeTopology(
              ctx.messageAdapter(SmmHandler.Topology.class, TopologyChanged::new)));
          smm.tell(new SmmHandler.ManagerStarted(
              ctx.messageAdapter(SmmHandler.Delivery.class, FromOob::new), incarnation));
          timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.offlineRetry());
          timers.startTimerWithFixedDelay(WaitersTick.INSTANCE, Duration.ofMillis(200));
          ctx.getLog().info("global resource manager started ({} volumes declared; recovered map epoch {} at event {}, "
                  + "{} events replayed after the snapshot, in {} ms)",
              settings.volumes().size(), state.map().epoch(), r.sequenceNr(), r.replayedEvents(), r.recoveryMillis());
          onRecovered.accept(r);
        })
        .onSignal(PostStop.instance(), state -> smm.tell(new SmmHandler.ManagerStopped(incarnation)))
        .build();
  }

  @Override
  public CommandHandler<Command, ManagerEvent, ManagerState> commandHandler() {
    return newCommandHandlerBuilder().forAnyState()
        .onCommand(FromOob.class, (state, f) -> authorised(() -> onOob(state, f)))
        .onCommand(TopologyChanged.class, (state, t) -> authorised(() -> onTopology(state, t)))
        .onCommand(MapAck.class, (state, a) -> authorised(() -> onAck(state, a)))
        .onCommand(Tick.class, (state, t) -> authorised(() -> change(onTick(state), s -> answerWaiters())))
        .onCommand(WaitersTick.class, (state, w) -> authorised(() -> {
          if (!waiters.isEmpty()) answerWaiters();
          return Effect().none();
        }))
        .onCommand(Wake.class, (state, w) -> Effect().none())
        .onCommand(GetState.class, (state, g) -> {
          g.replyTo().tell(state);
          return Effect().none();
        })
        .build();
  }

  /**
   * Runs {@code command} only while this manager holds its seat. One that lost it (its lease
   * expired, its side lost the quorum) changes nothing and confirms nothing more: it stops, and
   * whoever asked asks the next manager.
   */
  private Effect<ManagerEvent, ManagerState> authorised(
      java.util.function.Supplier<Effect<ManagerEvent, ManagerState>> command) {
    if (authority.getAsBoolean()) return command.get();
    ctx.getLog().warn("the manager (incarnation {}) no longer holds its seat: it stops without another change",
        incarnation);
    return Effect().stop();
  }

  private Effect<ManagerEvent, ManagerState> onOob(ManagerState state, FromOob f) {
    SmmHandler.Delivery d = f.delivery();
    if (d.message() instanceof ManagerProtocol.RegisterResources r) {
      return onRegister(state, r);
    } else if (d.message() instanceof ManagerProtocol.ResyncRequest r) {
      return onResync(state, r);
    } else if (d.message() instanceof ManagerProtocol.MemberFailed r) {
      return onMemberFailed(state, r, d.responder());
    } else if (d.message() instanceof ManagerProtocol.RebuildDone r) {
      List<ManagerEvent> events = state.rebuildDone(r);
      if (!events.isEmpty()) ctx.getLog().info("{} of '{}' is rebuilt and in sync", r.device(), r.volume());
      return change(events, s -> {});
    } else if (d.message() instanceof ManagerProtocol.MoveDone r) {
      List<ManagerEvent> events = withDrainMoves(state, state.moveDone(r));
      return change(events, s -> {});
    } else if (d.message() instanceof ManagerProtocol.DrainBlade r) {
      return onDrain(state, r, d.responder());
    } else if (d.message() instanceof ManagerProtocol.RouteConsole r) {
      return onRouteConsole(state, r, d.responder());
    } else if (d.message() instanceof ManagerProtocol.CreateVolume r) {
      String name = r.request().name();
      return volumeChange("created", name, state.createVolume(r.request(), settings.volumes(), settings.layouts(),
          settings.pool()), d.responder(), s -> {
            io.rackshare.map.GlobalResourceDescriptor v = s.map().volumes().get(name);
            ctx.getLog().info("volume '{}' created on the pool: {} {} bytes on {} (map epoch {})", name, v.layout(),
                v.sizeBytes(), v.devices(), s.map().epoch());
          });
    } else if (d.message() instanceof ManagerProtocol.PartReady r) {
      List<ManagerEvent> events = state.partReady(r.volume(), r.part(), r.readyBlocks());
      return change(events, s -> {
        io.rackshare.map.GlobalResourceDescriptor v = s.map().volumes().get(r.volume());
        if (!events.isEmpty() && v.partsReady()) {
          ctx.getLog().info("volume '{}' is ready: its parts are zeroed; {} bytes (map epoch {})", r.volume(),
              v.sizeBytes(), s.map().epoch());
        }
      });
    } else if (d.message() instanceof ManagerProtocol.RemoveVolume r) {
      return volumeChange("removed", r.volume(), state.removeVolume(r.volume(), settings.volumes()), d.responder(),
          s -> ctx.getLog().info("volume '{}' removed from {}; its extents are free (map epoch {})", r.volume(),
              d.from(), s.map().epoch()));
    } else if (d.message() instanceof ManagerProtocol.GrowVolume r) {
      return volumeChange("grown", r.volume(), state.growVolume(r.volume(), r.sizeBytes(), settings.volumes(),
          settings.layouts(), settings.pool()), d.responder(),
          s -> ctx.getLog().info("volume '{}' grows to {} bytes once its new extents are zeroed (map epoch {})",
              r.volume(), r.sizeBytes(), s.map().epoch()));
    } else if (d.message() instanceof ManagerProtocol.GetMap) {
      d.responder().reply(update(state));
    } else {
      ctx.getLog().warn("manager ignores {} from {}", d.message(), d.from());
    }
    return Effect().none();
  }

  private Effect<ManagerEvent, ManagerState> onRegister(ManagerState state, ManagerProtocol.RegisterResources r) {
    failedTargets.remove(r.blade()); // back (a new process): moves may go there again
    ManagerState.Decision decision = state.decide(r, settings.volumes(), settings.layouts());
    decision.problems().forEach(p -> ctx.getLog().error(p));
    return persist(decision.events()).thenRun(s -> {
      ctx.getLog().info("{} registered {} resource(s); map epoch {}", r.blade(), r.resources().size(), s.map().epoch());
      if (!decision.events().isEmpty()) {
        logChanges(decision.events());
        broadcastMap(s);
        // The blade may have registered before its greeting reached this manager's topology.
        if (!peers.contains(r.blade())) smm.tell(new SmmHandler.Send(r.blade(), update(s)));
      } else {
        // A blade that joined late, or came back, gets the current map (0071).
        smm.tell(new SmmHandler.Send(r.blade(), update(s)));
      }
    });
  }

  private Effect<ManagerEvent, ManagerState> onRouteConsole(ManagerState state, ManagerProtocol.RouteConsole r,
      SmmHandler.Responder responder) {
    ManagerState.Decision decision = state.routeConsole(r);
    if (!decision.problems().isEmpty()) {
      ctx.getLog().warn("console station on {} not routed to {}: {}", r.station(), r.target(), decision.problems());
      responder.reply(new ManagerProtocol.ConsoleRouteAnswer(state.map().console(r.station()).orElse(null),
          String.join("; ", decision.problems())));
      return Effect().none();
    }
    return change(decision.events(), s -> {
      if (!decision.events().isEmpty()) {
        ctx.getLog().info("console station on {} routed to {} (map epoch {})", r.station(),
            s.map().console(r.station()).orElseThrow().target(), s.map().epoch());
      }
      responder.reply(new ManagerProtocol.ConsoleRouteAnswer(s.map().console(r.station()).orElseThrow(), null));
    });
  }

  /**
   * An operator's change of volume {@code name} ({@code what}: "created", "grown", "removed"):
   * refused with the decision's problems, or journalled, logged by {@code logged} and answered
   * with the volume as it then is (null once removed).
   */
  private Effect<ManagerEvent, ManagerState> volumeChange(String what, String name, ManagerState.Decision decision,
      SmmHandler.Responder responder, Consumer<ManagerState> logged) {
    if (!decision.problems().isEmpty()) {
      String why = String.join("; ", decision.problems());
      ctx.getLog().warn("volume '{}' not {}: {}", name, what, why);
      responder.reply(new ManagerProtocol.VolumeAnswer(null, why));
      return Effect().none();
    }
    return change(decision.events(), s -> {
      logged.accept(s);
      responder.reply(new ManagerProtocol.VolumeAnswer(s.map().volumes().get(name), null));
    });
  }

  /** Blades where a move's target failed, and when: no new move goes there for a while. */
  private final Map<BladeId, Long> failedTargets = new HashMap<>();

  /**
   * {@code events}, then the drain's next moves on the state they leave (none if nothing
   * changed); never onto a blade that is unreachable, or where a move's target just failed (a
   * move there would fail again, and every failure makes clients' writes go round once more).
   */
  private List<ManagerEvent> withDrainMoves(ManagerState state, List<ManagerEvent> events) {
    ManagerState after = state;
    for (ManagerEvent e : events) after = after.apply(e);
    long now = System.nanoTime();
    failedTargets.values().removeIf(t -> now - t > settings.pool().moveRetryAfter().toNanos());
    java.util.Set<BladeId> avoid = new java.util.HashSet<>(unreachableSince.keySet());
    avoid.addAll(failedTargets.keySet());
    List<ManagerEvent> more = after.drainMoves(settings.layouts(), settings.volumes(), settings.pool(), settings.pool().maxMoves(),
        avoid);
    if (more.isEmpty()) return events;
    List<ManagerEvent> all = new java.util.ArrayList<>(events);
    all.addAll(more);
    return all;
  }

  private Effect<ManagerEvent, ManagerState> onDrain(ManagerState state, ManagerProtocol.DrainBlade r,
      SmmHandler.Responder responder) {
    ManagerState.Decision decision = state.drain(r.blade(), r.on());
    if (!decision.problems().isEmpty()) {
      String why = String.join("; ", decision.problems());
      ctx.getLog().warn("{} not {}: {}", r.blade(), r.on() ? "drained" : "undrained", why);
      responder.reply(new ManagerProtocol.DrainAnswer(r.blade(), state.map().draining(r.blade()), List.of(), why));
      return Effect().none();
    }
    List<ManagerEvent> events = withDrainMoves(state, decision.events());
    return change(events, s -> {
      ctx.getLog().info("{} is {} (map epoch {}); it holds {}", r.blade(), r.on() ? "being drained" : "no longer drained",
          s.map().epoch(), s.map().heldBy(r.blade()));
      List<String> moving = new java.util.ArrayList<>();
      for (io.rackshare.map.GlobalResourceDescriptor v : s.map().volumes().values()) {
        for (io.rackshare.map.Move m : v.moves()) {
          moving.add(v.name() + ": " + v.member(m.position()).device() + " -> " + m.target());
        }
      }
      responder.reply(new ManagerProtocol.DrainAnswer(r.blade(), s.map().draining(r.blade()), moving, null));
    });
  }

  private Effect<ManagerEvent, ManagerState> onMemberFailed(ManagerState state, ManagerProtocol.MemberFailed r,
      SmmHandler.Responder responder) {
    ManagerState.Decision decision = state.memberFailed(r, settings.layouts());
    return change(decision.events(), s -> {
      // The device's blade must route with the new map before the failure counts as confirmed,
      // unless the reporter found its process gone, it left, or it is fenced (see answerWaiters).
      BladeId deviceBlade = r.unreachable() ? null : r.device().blade();
      waiters.add(new Waiter(s.map().epoch(), deviceBlade, responder,
          System.nanoTime() + settings.confirmTimeout().toNanos()));
      // A manager that has just taken over has no acknowledgements yet: ask for one.
      if (deviceBlade != null && acked.getOrDefault(deviceBlade, -1L) < s.map().epoch()
          && decision.events().isEmpty()) {
        smm.tell(new SmmHandler.Request(deviceBlade, update(s), s.map().epoch(), acks));
      }
      answerWaiters();
    });
  }

  private Effect<ManagerEvent, ManagerState> onResync(ManagerState state, ManagerProtocol.ResyncRequest r) {
    long now = System.nanoTime();
    if (now - lastResyncNanos < settings.resyncDebounce().toNanos()) return Effect().none();
    ctx.getLog().info("resynchronising every blade's map (epoch {}): {} saw epoch {} of '{}': {}",
        state.map().epoch(), r.from(), r.seenEpoch(), r.volume(), r.reason());
    broadcastMap(state);
    return Effect().none();
  }

  private Effect<ManagerEvent, ManagerState> onTopology(ManagerState state, TopologyChanged t) {
    peers = t.topology().peers();
    long now = System.nanoTime();
    unreachableSince.keySet().retainAll(t.topology().unreachable());
    for (BladeId b : t.topology().unreachable()) unreachableSince.putIfAbsent(b, now);
    strictMajority = t.topology().quorum().strict();
    return change(state.bladesLost(peers, settings.layouts()), s -> answerWaiters());
  }

  private Effect<ManagerEvent, ManagerState> onAck(ManagerState state, MapAck a) {
    if (a.response() instanceof SmmHandler.Answered ok && ok.message() instanceof ManagerProtocol.MapInstalled m) {
      acked.merge(ok.from(), m.epoch(), Math::max);
      answerWaiters();
    }
    return Effect().none();
  }

  private org.apache.pekko.persistence.typed.javadsl.EffectBuilder<ManagerEvent, ManagerState> persist(
      List<ManagerEvent> events) {
    return events.isEmpty() ? Effect().none() : Effect().persist(events);
  }

  /** Persists {@code events}; once they are stored, tells every blade and then runs {@code after}. */
  private Effect<ManagerEvent, ManagerState> change(List<ManagerEvent> events, Consumer<ManagerState> after) {
    for (ManagerEvent e : events) {
      if (e instanceof ManagerEvent.MoveEnded m && !m.reason().endsWith(ManagerState.UNDRAINED)) {
        failedTargets.put(m.target().blade(), System.nanoTime());
      }
    }
    return persist(events).thenRun(s -> {
      if (!events.isEmpty()) {
        logChanges(events);
        broadcastMap(s);
      }
      after.accept(s);
    });
  }

  /**
   * When each FAILED member was first seen FAILED by this manager (keyed by volume, position and
   * the epoch it failed at): self-healing waits {@code replaceFailedAfter} from then. Not
   * journalled: a new manager starts the wait again, which only delays a replacement.
   */
  private final java.util.Map<String, Long> failedSeen = new java.util.HashMap<>();

  /** The periodic look: OFFLINE members whose blade is back, and FAILED ones to replace from the pool. */
  private List<ManagerEvent> onTick(ManagerState state) {
    List<ManagerEvent> back = withDrainMoves(state, state.offlineBack(peers));
    if (settings.replaceFailedAfter() == null) return back;
    long now = System.nanoTime();
    java.util.Set<String> failed = state.failedMembers();
    failedSeen.keySet().retainAll(failed);
    for (String key : failed) failedSeen.putIfAbsent(key, now);
    long wait = settings.replaceFailedAfter().toNanos();
    ManagerState after = state;
    for (ManagerEvent e : back) after = after.apply(e);
    List<ManagerEvent> replaced = after.replaceFromPool(settings.layouts(),
        key -> now - failedSeen.getOrDefault(key, now) >= wait, settings.volumes(), settings.pool());
    if (replaced.isEmpty()) return back;
    List<ManagerEvent> all = new java.util.ArrayList<>(back);
    all.addAll(replaced);
    return all;
  }

  private void logChanges(List<ManagerEvent> events) {
    for (ManagerEvent e : events) {
      if (e instanceof ManagerEvent.MemberFailed f) {
        ctx.getLog().warn("'{}': member {} is {} ({})", f.volume(), f.device(), f.state(), f.reason());
      } else if (e instanceof ManagerEvent.SpareActivated s) {
        ctx.getLog().warn("'{}': {} (a hot spare, or a free disk of the pool) replaces {} and is rebuilt", s.volume(),
            s.spare(), s.failed());
      } else if (e instanceof ManagerEvent.MemberReturned m) {
        ctx.getLog().info("'{}': {} is back, now {}", m.volume(), m.device(), m.state());
      } else if (e instanceof ManagerEvent.MemberLost m) {
        ctx.getLog().warn("'{}': member {} lost its content ({}); it is rebuilt whole", m.volume(), m.device(), m.reason());
      } else if (e instanceof ManagerEvent.MoveStarted m) {
        ctx.getLog().info("'{}': moving member {} to {} (a drain)", m.volume(), m.position(), m.target().path());
      } else if (e instanceof ManagerEvent.MoveCompleted m) {
        ctx.getLog().info("'{}': member {} moved to {}, in sync", m.volume(), m.position(), m.target());
      } else if (e instanceof ManagerEvent.MoveEnded m) {
        ctx.getLog().warn("'{}': the move of member {} to {} is rolled back ({})", m.volume(), m.position(), m.target(),
            m.reason());
      } else if (e instanceof ManagerEvent.SpareMoved m) {
        ctx.getLog().info("'{}': hot spare {} {}", m.volume(), m.spare(),
            m.by() == null ? "dropped: no other blade has room for it" : "replaced by " + m.by().path());
      } else if (e instanceof ManagerEvent.BladeLost l) {
        ctx.getLog().warn("{} left: its resources are offline", l.blade());
      }
    }
  }

  /** Sends the map to every blade as a request: each answers once it routes with it. */
  private void broadcastMap(ManagerState state) {
    lastResyncNanos = System.nanoTime();
    ManagerProtocol.MapUpdate update = update(state);
    if (peers.isEmpty()) {
      // No topology yet: to every blade the SMM handler knows, without answers.
      smm.tell(new SmmHandler.Broadcast(update));
      return;
    }
    for (BladeId b : peers) smm.tell(new SmmHandler.Request(b, update, state.map().epoch(), acks));
  }

  private static ManagerProtocol.MapUpdate update(ManagerState state) {
    return new ManagerProtocol.MapUpdate(state.map(), List.copyOf(state.resources().values()));
  }

  /**
   * Confirms each waiting member's failure once nothing can read the failed member any more:
   *
   * <ul>
   *   <li>its blade routes with the map that drops it (it acknowledged that epoch), or its process
   *       is known to be gone (the reporter's connection was refused or closed; it left);
   *   <li>or its blade has been unreachable for {@code fence-after} while this side keeps a strict
   *       majority: that blade sees no majority and has stopped serving ({@code QuorumGate});
   *   <li>or its blade is reachable but has not acknowledged within {@code confirm-timeout} (a
   *       blade that answers heartbeats but installs no map: going on without it is a bet, logged).
   * </ul>
   */
  private void answerWaiters() {
    long now = System.nanoTime();
    for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
      Waiter w = it.next();
      BladeId b = w.deviceBlade();
      boolean installed = b == null || acked.getOrDefault(b, -1L) >= w.epoch();
      boolean gone = b != null && !peers.contains(b);
      Long suspected = b == null ? null : unreachableSince.get(b);
      boolean fenced = suspected != null && strictMajority && now - suspected >= settings.fenceAfter().toNanos();
      boolean late = suspected == null && now - w.deadline() >= 0;
      if (installed || gone || fenced || late) {
        if (fenced && !installed && !gone) {
          ctx.getLog().warn("{} has been unreachable for {} and sees no majority: it no longer serves, so map epoch"
              + " {} counts as installed there", b, settings.fenceAfter(), w.epoch());
        } else if (late && !installed && !gone) {
          ctx.getLog().warn("{} did not confirm map epoch {} within {}; going on without it",
              b, w.epoch(), settings.confirmTimeout());
        }
        it.remove();
        w.responder().reply(new ManagerProtocol.MapConfirmed(w.epoch()));
      }
    }
  }
}
