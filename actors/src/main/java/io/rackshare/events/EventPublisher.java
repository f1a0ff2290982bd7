package io.rackshare.events;

import io.rackshare.blade.Blade;
import io.rackshare.layout.Health;
import io.rackshare.layout.Layouts;
import io.rackshare.manager.ManagerProtocol;
import io.rackshare.map.BladeId;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.smm.SmmHandler;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Turns what a blade hears into {@link RackshareEvent}s for the services that embed it: its
 * {@link Blade}'s local map (each volume's health, judged by its layout), its {@link SmmHandler}'s
 * topology (where the manager runs) and the rebuild progress the rebuilding blades broadcast. One
 * per blade (the system actor {@code rackshare-events}); subscribers are watched and forgotten when
 * they stop.
 */
public final class EventPublisher extends AbstractBehavior<EventPublisher.Command> {

  /** The actor's protocol. */
  public sealed interface Command {}

  /**
   * Sends {@code subscriber} every event of {@code type} (a {@link RackshareEvent} record, or
   * {@code RackshareEvent.class} for all): the current state first, then each change.
   */
  public record Subscribe<E extends RackshareEvent>(Class<E> type, ActorRef<E> subscriber) implements Command {}

  /** Ends every subscription of {@code subscriber}. */
  public record Unsubscribe(ActorRef<?> subscriber) implements Command {}

  /** How many subscriptions there are, for tests and status. */
  public record CountSubscriptions(ActorRef<Integer> replyTo) implements Command {}

  private record MapChanged(GlobalResourceMap map) implements Command {}

  private record TopologyChanged(SmmHandler.Topology topology) implements Command {}

  private record Progress(ManagerProtocol.RebuildProgress progress) implements Command {}

  private record Subscriber(Class<? extends RackshareEvent> type, ActorRef<Object> ref) {}

  /** Follows {@code blade} and {@code smm}; judges each volume's health with {@code layouts}. */
  public static Behavior<Command> create(ActorRef<Blade.Command> blade, ActorRef<SmmHandler.Command> smm,
      Layouts layouts) {
    return Behaviors.setup(ctx -> new EventPublisher(ctx, blade, smm, layouts));
  }

  /** Subscribes through {@code publisher}; the returned subscription cancels it. */
  public static <E extends RackshareEvent> Subscription subscribe(ActorRef<Command> publisher, Class<E> type,
      ActorRef<E> subscriber) {
    publisher.tell(new Subscribe<>(type, subscriber));
    return new Subscription(publisher, subscriber);
  }

  private final Layouts layouts;
  private final List<Subscriber> subscribers = new ArrayList<>();
  private final Map<String, Health> health = new TreeMap<>();
  private long epoch = -1;
  /** Null until the SMM handler first reports. */
  private Optional<BladeId> manager;
  /** The latest progress of each rebuild going on, by volume and member position. */
  private final Map<String, RackshareEvent.RebuildProgressed> rebuilds = new LinkedHashMap<>();

  private EventPublisher(ActorContext<Command> ctx, ActorRef<Blade.Command> blade, ActorRef<SmmHandler.Command> smm,
      Layouts layouts) {
    super(ctx);
    this.layouts = layouts;
    blade.tell(new Blade.SubscribeMap(ctx.messageAdapter(GlobalResourceMap.class, MapChanged::new)));
    blade.tell(new Blade.SubscribeRebuilds(ctx.messageAdapter(ManagerProtocol.RebuildProgress.class, Progress::new)));
    smm.tell(new SmmHandler.SubscribeTopology(ctx.messageAdapter(SmmHandler.Topology.class, TopologyChanged::new)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Subscribe.class, this::onSubscribe)
        .onMessage(Unsubscribe.class, u -> {
          subscribers.removeIf(s -> s.ref().equals(u.subscriber()));
          return this;
        })
        .onMessage(CountSubscriptions.class, c -> {
          c.replyTo().tell(subscribers.size());
          return this;
        })
        .onMessage(MapChanged.class, this::onMap)
        .onMessage(TopologyChanged.class, this::onTopology)
        .onMessage(Progress.class, this::onProgress)
        .build();
  }

  private Behavior<Command> onSubscribe(Subscribe<?> s) {
    Subscriber sub = new Subscriber(s.type(), s.subscriber().unsafeUpcast());
    subscribers.add(sub);
    // Watching twice is harmless; a stopped subscriber's subscriptions all go.
    getContext().watchWith(s.subscriber(), new Unsubscribe(s.subscriber()));
    for (Map.Entry<String, Health> v : health.entrySet()) {
      send(sub, new RackshareEvent.VolumeHealthChanged(v.getKey(), v.getValue(), Optional.empty(), epoch));
    }
    if (manager != null && manager.isPresent()) send(sub, new RackshareEvent.ManagerChanged(manager, Optional.empty()));
    rebuilds.values().forEach(p -> send(sub, p));
    return this;
  }

  private Behavior<Command> onMap(MapChanged m) {
    GlobalResourceMap map = m.map();
    epoch = map.epoch();
    for (String name : new ArrayList<>(health.keySet())) {
      if (map.volumes().containsKey(name)) continue;
      Health last = health.remove(name);
      rebuilds.keySet().removeIf(k -> k.startsWith(name + "#"));
      publish(new RackshareEvent.VolumeRemoved(name, last, epoch));
    }
    for (GlobalResourceDescriptor v : new TreeMap<>(map.volumes()).values()) {
      Health now = layouts.get(v.layout()).health(v);
      Health before = health.put(v.name(), now);
      if (!now.equals(before)) {
        publish(new RackshareEvent.VolumeHealthChanged(v.name(), now, Optional.ofNullable(before), epoch));
      }
    }
    return this;
  }

  private Behavior<Command> onTopology(TopologyChanged t) {
    Optional<BladeId> now = t.topology().manager();
    if (manager == null) {
      manager = now;
      if (now.isPresent()) publish(new RackshareEvent.ManagerChanged(now, Optional.empty()));
    } else if (!now.equals(manager)) {
      Optional<BladeId> before = manager;
      manager = now;
      publish(new RackshareEvent.ManagerChanged(now, before));
    }
    return this;
  }

  private Behavior<Command> onProgress(Progress p) {
    ManagerProtocol.RebuildProgress r = p.progress();
    if (!health.containsKey(r.volume())) return this;
    RackshareEvent.RebuildProgressed e = new RackshareEvent.RebuildProgressed(r.volume(), r.position(), r.device(),
        r.doneBytes(), r.totalBytes(), r.bytesPerSecond(), r.finished());
    String key = r.volume() + "#" + r.position();
    if (r.finished()) {
      rebuilds.remove(key);
    } else {
      rebuilds.put(key, e);
    }
    publish(e);
    return this;
  }

  private void publish(RackshareEvent e) {
    for (Subscriber s : subscribers) send(s, e);
  }

  private static void send(Subscriber s, RackshareEvent e) {
    if (s.type().isInstance(e)) s.ref().tell(e);
  }
}
