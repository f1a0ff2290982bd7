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
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The global resource manager (608): collects the blades' device paths and configurations,
 * aggregates them into the declared volumes, sends the global resource map to every blade
 * (blocks 514-518), and keeps the volumes' members' states: it fails members whose blade left or
 * that a blade reports failed, activates hot spares, takes returning members back and marks
 * rebuilt ones in sync (0092). One runs in the cluster; it lives on a blade and talks only through
 * that blade's {@link SmmHandler}. Every state change is a {@link ManagerEvent}.
 *
 * <p>Every map it sends is a request that each blade answers once it routes with it. A member's
 * failure is confirmed to the blade that reported it only when the failed device's own blade
 * routes with the new map (or is gone): from then on it refuses requests made with the old map,
 * so no blade reads the stale member, and the reporter may acknowledge its write.
 */
public final class ResourceManager extends AbstractBehavior<ResourceManager.Command> {

  public sealed interface Command {}

  /** The current state, for status pages and tests. */
  public record GetState(ActorRef<ManagerState> replyTo) implements Command {}

  private record FromOob(SmmHandler.Delivery delivery) implements Command {}

  private record TopologyChanged(SmmHandler.Topology topology) implements Command {}

  private record MapAck(SmmHandler.Response response) implements Command {}

  private enum Tick implements Command { INSTANCE }

  public record Settings(List<VolumeSpec> volumes, Layouts layouts, Duration resyncDebounce,
      Duration confirmTimeout, Duration offlineRetry) {}

  public static Behavior<Command> create(ActorRef<SmmHandler.Command> smm, Settings settings) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new ResourceManager(ctx, timers, smm, settings)));
  }

  /** A blade waits for the confirmation of a member's failure. */
  private record Waiter(long epoch, BladeId deviceBlade, SmmHandler.Responder responder, long deadline) {}

  private final ActorRef<SmmHandler.Command> smm;
  private final Settings settings;
  private final long incarnation = System.currentTimeMillis();
  private final ActorRef<SmmHandler.Response> acks;
  private final Map<BladeId, Long> acked = new HashMap<>();
  private final List<Waiter> waiters = new ArrayList<>();
  private ManagerState state = ManagerState.EMPTY;
  private Set<BladeId> peers = Set.of();
  private long lastResyncNanos = System.nanoTime() - Duration.ofDays(1).toNanos();

  private ResourceManager(ActorContext<Command> ctx, TimerScheduler<Command> timers,
      ActorRef<SmmHandler.Command> smm, Settings settings) {
    super(ctx);
    this.smm = smm;
    this.settings = settings;
    this.acks = ctx.messageAdapter(SmmHandler.Response.class, MapAck::new);
    smm.tell(new SmmHandler.ManagerStarted(
        ctx.messageAdapter(SmmHandler.Delivery.class, FromOob::new), incarnation));
    smm.tell(new SmmHandler.SubscribeTopology(
        ctx.messageAdapter(SmmHandler.Topology.class, TopologyChanged::new)));
    timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.offlineRetry());
    ctx.getLog().info("global resource manager started ({} volumes declared)", settings.volumes().size());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(FromOob.class, this::onOob)
        .onMessage(TopologyChanged.class, this::onTopology)
        .onMessage(MapAck.class, this::onAck)
        .onMessageEquals(Tick.INSTANCE, this::onTick)
        .onMessage(GetState.class, g -> {
          g.replyTo().tell(state);
          return this;
        })
        .onSignal(PostStop.class, s -> {
          smm.tell(new SmmHandler.ManagerStopped(incarnation));
          return this;
        })
        .build();
  }

  private Behavior<Command> onOob(FromOob f) {
    SmmHandler.Delivery d = f.delivery();
    if (d.message() instanceof ManagerProtocol.RegisterResources r) {
      onRegister(r);
    } else if (d.message() instanceof ManagerProtocol.ResyncRequest r) {
      onResync(r);
    } else if (d.message() instanceof ManagerProtocol.MemberFailed r) {
      onMemberFailed(r, d.responder());
    } else if (d.message() instanceof ManagerProtocol.RebuildDone r) {
      List<ManagerEvent> events = state.rebuildDone(r);
      if (!events.isEmpty()) {
        getContext().getLog().info("{} of '{}' is rebuilt and in sync", r.device(), r.volume());
        change(events);
      }
    } else if (d.message() instanceof ManagerProtocol.GetMap) {
      d.responder().reply(new ManagerProtocol.MapUpdate(state.map()));
    } else {
      getContext().getLog().warn("manager ignores {} from {}", d.message(), d.from());
    }
    return this;
  }

  private void onRegister(ManagerProtocol.RegisterResources r) {
    long epochBefore = state.map().epoch();
    ManagerState.Decision decision = state.decide(r, settings.volumes(), settings.layouts());
    decision.problems().forEach(p -> getContext().getLog().error(p));
    decision.events().forEach(this::persist);
    getContext().getLog().info("{} registered {} resource(s); map epoch {}",
        r.blade(), r.resources().size(), state.map().epoch());
    if (state.map().epoch() != epochBefore) {
      broadcastMap();
    } else {
      // A blade that joined late, or came back, gets the current map (0071).
      smm.tell(new SmmHandler.Send(r.blade(), new ManagerProtocol.MapUpdate(state.map())));
    }
  }

  private void onMemberFailed(ManagerProtocol.MemberFailed r, SmmHandler.Responder responder) {
    ManagerState.Decision decision = state.memberFailed(r, settings.layouts());
    if (!decision.events().isEmpty()) change(decision.events());
    // The device's blade must route with the new map before the failure counts as confirmed,
    // unless the reporter found it unreachable (its process is gone) or it left.
    waiters.add(new Waiter(state.map().epoch(), r.unreachable() ? null : r.device().blade(), responder,
        System.nanoTime() + settings.confirmTimeout().toNanos()));
    answerWaiters();
  }

  private void onResync(ManagerProtocol.ResyncRequest r) {
    long now = System.nanoTime();
    if (now - lastResyncNanos < settings.resyncDebounce().toNanos()) return;
    getContext().getLog().info(
        "resynchronising every blade's map (epoch {}): {} saw epoch {} of '{}': {}",
        state.map().epoch(), r.from(), r.seenEpoch(), r.volume(), r.reason());
    broadcastMap();
  }

  private void change(List<ManagerEvent> events) {
    for (ManagerEvent e : events) {
      if (e instanceof ManagerEvent.MemberFailed f) {
        getContext().getLog().warn("'{}': member {} is {} ({})", f.volume(), f.device(), f.state(), f.reason());
      } else if (e instanceof ManagerEvent.SpareActivated s) {
        getContext().getLog().warn("'{}': hot spare {} replaces {} and is rebuilt", s.volume(), s.spare(), s.failed());
      } else if (e instanceof ManagerEvent.MemberReturned m) {
        getContext().getLog().info("'{}': {} is back, now {}", m.volume(), m.device(), m.state());
      }
      persist(e);
    }
    broadcastMap();
  }

  /** Sends the map to every blade as a request: each answers once it routes with it. */
  private void broadcastMap() {
    lastResyncNanos = System.nanoTime();
    ManagerProtocol.MapUpdate update = new ManagerProtocol.MapUpdate(state.map());
    for (BladeId b : peers) smm.tell(new SmmHandler.Request(b, update, state.map().epoch(), acks));
  }

  private Behavior<Command> onAck(MapAck a) {
    if (a.response() instanceof SmmHandler.Answered ok && ok.message() instanceof ManagerProtocol.MapInstalled m) {
      acked.merge(ok.from(), m.epoch(), Math::max);
      answerWaiters();
    }
    return this;
  }

  private void answerWaiters() {
    long now = System.nanoTime();
    for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
      Waiter w = it.next();
      boolean installed = w.deviceBlade() == null || acked.getOrDefault(w.deviceBlade(), -1L) >= w.epoch();
      boolean gone = w.deviceBlade() != null && !peers.contains(w.deviceBlade());
      boolean late = now - w.deadline() >= 0;
      if (installed || gone || late) {
        if (late && !installed && !gone) {
          getContext().getLog().warn("{} did not confirm map epoch {} within {}; going on without it",
              w.deviceBlade(), w.epoch(), settings.confirmTimeout());
        }
        it.remove();
        w.responder().reply(new ManagerProtocol.MapConfirmed(w.epoch()));
      }
    }
  }

  private Behavior<Command> onTopology(TopologyChanged t) {
    peers = t.topology().peers();
    List<ManagerEvent> events = state.bladesLost(peers, settings.layouts());
    if (!events.isEmpty()) {
      for (ManagerEvent e : events) {
        if (e instanceof ManagerEvent.BladeLost l) {
          getContext().getLog().warn("{} left: its resources are offline", l.blade());
        }
      }
      change(events);
    }
    answerWaiters();
    return this;
  }

  private Behavior<Command> onTick() {
    List<ManagerEvent> events = state.offlineBack(peers);
    if (!events.isEmpty()) change(events);
    answerWaiters();
    return this;
  }

  private void persist(ManagerEvent event) {
    state = state.apply(event);
  }
}
