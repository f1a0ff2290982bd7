package io.rackshare.manager;

import io.rackshare.layout.Layouts;
import io.rackshare.map.VolumeSpec;
import io.rackshare.smm.SmmHandler;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The global resource manager (608): collects the blades' device paths and configurations,
 * aggregates them into the declared volumes, and sends the global resource map to every blade
 * (blocks 514-518). One runs in the cluster; it lives on a blade and talks only through that
 * blade's {@link SmmHandler}. Every state change is a {@link ManagerEvent}.
 */
public final class ResourceManager extends AbstractBehavior<ResourceManager.Command> {

  public sealed interface Command {}

  /** The current state, for status pages and tests. */
  public record GetState(ActorRef<ManagerState> replyTo) implements Command {}

  private record FromOob(SmmHandler.Delivery delivery) implements Command {}

  private record TopologyChanged(SmmHandler.Topology topology) implements Command {}

  public record Settings(List<VolumeSpec> volumes, Layouts layouts, Duration resyncDebounce) {}

  public static Behavior<Command> create(ActorRef<SmmHandler.Command> smm, Settings settings) {
    return Behaviors.setup(ctx -> new ResourceManager(ctx, smm, settings));
  }

  private final ActorRef<SmmHandler.Command> smm;
  private final Settings settings;
  private final long incarnation = System.currentTimeMillis();
  private ManagerState state = ManagerState.EMPTY;
  private long lastResyncNanos = System.nanoTime() - Duration.ofDays(1).toNanos();

  private ResourceManager(
      ActorContext<Command> ctx, ActorRef<SmmHandler.Command> smm, Settings settings) {
    super(ctx);
    this.smm = smm;
    this.settings = settings;
    smm.tell(new SmmHandler.ManagerStarted(
        ctx.messageAdapter(SmmHandler.Delivery.class, FromOob::new), incarnation));
    smm.tell(new SmmHandler.SubscribeTopology(
        ctx.messageAdapter(SmmHandler.Topology.class, TopologyChanged::new)));
    ctx.getLog().info("global resource manager started ({} volumes declared)", settings.volumes().size());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(FromOob.class, this::onOob)
        .onMessage(TopologyChanged.class, this::onTopology)
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

  private void onResync(ManagerProtocol.ResyncRequest r) {
    long now = System.nanoTime();
    if (now - lastResyncNanos < settings.resyncDebounce().toNanos()) return;
    getContext().getLog().info(
        "resynchronising every blade's map (epoch {}): {} saw epoch {} of '{}': {}",
        state.map().epoch(), r.from(), r.seenEpoch(), r.volume(), r.reason());
    broadcastMap();
  }

  private void broadcastMap() {
    lastResyncNanos = System.nanoTime();
    smm.tell(new SmmHandler.Broadcast(new ManagerProtocol.MapUpdate(state.map())));
  }

  private Behavior<Command> onTopology(TopologyChanged t) {
    for (ManagerEvent e : state.bladesLost(t.topology().peers())) {
      getContext().getLog().warn("{} left: its resources are offline", ((ManagerEvent.BladeLost) e).blade());
      persist(e);
    }
    return this;
  }

  private void persist(ManagerEvent event) {
    state = state.apply(event);
  }
}
