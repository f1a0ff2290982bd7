package io.rackshare.blade;

import io.rackshare.access.AccessDriver;
import io.rackshare.manager.ManagerProtocol;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.map.ResourceDescriptor;
import io.rackshare.smm.SmmHandler;
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
 * One blade (Figure 5): at start-up it has discovered its sharable resources and started their
 * drivers; it registers them with the global resource manager whenever a manager appears (block
 * 512), and keeps the local copy of the global resource map the manager sends (block 520, 812).
 */
public final class Blade extends AbstractBehavior<Blade.Command> {

  /**
   * The blade actor's messages: status queries, changes of the blade's own resources (a medium
   * inserted, a disk failed) to register again, subscriptions to its local copy of the global
   * resource map, and, privately, the OOB deliveries and topology changes its {@link SmmHandler}
   * forwards.
   */
  public sealed interface Command {}

  /** This blade's view, for status pages and tests. */
  public record GetStatus(ActorRef<Status> replyTo) implements Command {}

  /**
   * {@code peers}: the blades this one talks to over the OOB channel (itself included);
   * {@code rebuilds}: the latest progress of every rebuild, by volume and member position.
   */
  public record Status(
      BladeId id, List<ResourceDescriptor> resources, GlobalResourceMap map, Optional<BladeId> manager,
      java.util.Set<BladeId> peers, Map<String, ManagerProtocol.RebuildProgress> rebuilds,
      List<ResourceDescriptor> registered) {

    /**
     * Every resource this blade knows of, in device-path order: those the manager registered, and
     * this blade's own where the manager has not registered them (yet).
     */
    public java.util.SortedMap<io.rackshare.map.DevicePath, ResourceDescriptor> known() {
      java.util.SortedMap<io.rackshare.map.DevicePath, ResourceDescriptor> all = new java.util.TreeMap<>();
      for (ResourceDescriptor r : registered) all.put(r.path(), r);
      for (ResourceDescriptor r : resources) all.putIfAbsent(r.path(), r);
      return all;
    }
  }

  /**
   * One of this blade's resources changed while it runs (a medium inserted or ejected): its new
   * descriptor replaces the old, and the manager hears of it at once.
   */
  public record ResourceChanged(ResourceDescriptor resource) implements Command {}

  /** Sends {@code subscriber} the blade's local map now and each time it changes. */
  public record SubscribeMap(ActorRef<GlobalResourceMap> subscriber) implements Command {}

  /** Sends {@code subscriber} each rebuild progress report the rebuilding blades broadcast. */
  public record SubscribeRebuilds(ActorRef<ManagerProtocol.RebuildProgress> subscriber) implements Command {}

  private record FromOob(SmmHandler.Delivery delivery) implements Command {}

  private record TopologyChanged(SmmHandler.Topology topology) implements Command {}

  private record Unsubscribe(ActorRef<?> subscriber) implements Command {}

  /**
   * Starts the blade with the resources discovery found; their drivers become children of the
   * blade. Each map the manager sends goes to the access driver.
   */
  public static Behavior<Command> create(
      BladeId id,
      List<DiscoveredResource> resources,
      ActorRef<SmmHandler.Command> smm,
      ActorRef<AccessDriver.Command> access) {
    return create(id, resources, smm, access, null, null);
  }

  /**
   * As above, keeping the last map in {@code store} (null: in memory only) and starting from
   * {@code stored}, the map {@code store} held at start-up (null: none).
   */
  public static Behavior<Command> create(
      BladeId id,
      List<DiscoveredResource> resources,
      ActorRef<SmmHandler.Command> smm,
      ActorRef<AccessDriver.Command> access,
      MapStore store,
      GlobalResourceMap stored) {
    return Behaviors.setup(ctx -> new Blade(ctx, id, resources, smm, access, store, stored));
  }

  private final BladeId id;
  private List<ResourceDescriptor> resources;
  private final ActorRef<SmmHandler.Command> smm;
  private final ActorRef<AccessDriver.Command> access;
  private final MapStore store;
  private GlobalResourceMap map = GlobalResourceMap.EMPTY;
  private Optional<BladeId> manager = Optional.empty();
  private java.util.Set<BladeId> peers = java.util.Set.of();
  private final Map<String, ManagerProtocol.RebuildProgress> rebuilds = new TreeMap<>();
  /** Every blade's resources, as the manager last listed them. */
  private List<ResourceDescriptor> registered = List.of();
  private final List<ActorRef<GlobalResourceMap>> mapSubscribers = new java.util.ArrayList<>();
  private final List<ActorRef<ManagerProtocol.RebuildProgress>> rebuildSubscribers = new java.util.ArrayList<>();

  private Blade(
      ActorContext<Command> ctx,
      BladeId id,
      List<DiscoveredResource> discovered,
      ActorRef<SmmHandler.Command> smm,
      ActorRef<AccessDriver.Command> access,
      MapStore store,
      GlobalResourceMap stored) {
    super(ctx);
    this.id = id;
    this.smm = smm;
    this.access = access;
    this.store = store;
    if (stored != null) {
      // Serve the volumes of the last map at once, before any manager speaks (0093).
      ctx.getLog().info("{} starts with its stored map, epoch {} ({} volumes)", id, stored.epoch(),
          stored.volumes().size());
      map = stored;
      access.tell(new AccessDriver.MapInstalled(stored));
    }
    this.resources = discovered.stream().map(DiscoveredResource::descriptor).toList();
    DiscoveredResource.DriverContext driverContext = new DiscoveredResource.DriverContext(id, smm, ctx.getSelf());
    for (DiscoveredResource r : discovered) {
      DevicePath p = r.descriptor().path();
      if (r.driver() != null) ctx.spawn(r.driver().apply(driverContext), p.kind().toLowerCase() + "-" + p.index());
    }
    smm.tell(new SmmHandler.RegisterHandler(
        "blade", m -> m instanceof ManagerProtocol.MapUpdate || m instanceof ManagerProtocol.RebuildProgress,
        ctx.messageAdapter(SmmHandler.Delivery.class, FromOob::new)));
    smm.tell(new SmmHandler.SubscribeTopology(
        ctx.messageAdapter(SmmHandler.Topology.class, TopologyChanged::new)));
    ctx.getLog().info("{} discovered {}", id, resources);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(FromOob.class, this::onOob)
        .onMessage(TopologyChanged.class, this::onTopology)
        .onMessage(SubscribeMap.class, m -> {
          mapSubscribers.add(m.subscriber());
          getContext().watchWith(m.subscriber(), new Unsubscribe(m.subscriber()));
          m.subscriber().tell(map);
          return this;
        })
        .onMessage(SubscribeRebuilds.class, m -> {
          rebuildSubscribers.add(m.subscriber());
          getContext().watchWith(m.subscriber(), new Unsubscribe(m.subscriber()));
          return this;
        })
        .onMessage(Unsubscribe.class, u -> {
          mapSubscribers.remove(u.subscriber());
          rebuildSubscribers.remove(u.subscriber());
          return this;
        })
        .onMessage(ResourceChanged.class, this::onResourceChanged)
        .onMessage(GetStatus.class, g -> {
          g.replyTo().tell(new Status(id, resources, map, manager, peers, Map.copyOf(rebuilds), registered));
          return this;
        })
        .build();
  }

  private Behavior<Command> onTopology(TopologyChanged t) {
    peers = t.topology().peers();
    Optional<BladeId> now = t.topology().manager();
    if (now.isPresent() && !now.equals(manager)) {
      // A new manager (first start or failover): tell it what this blade shares (block 512).
      smm.tell(new SmmHandler.SendToManager(
          new ManagerProtocol.RegisterResources(id, resources, map)));
    }
    manager = now;
    return this;
  }

  private Behavior<Command> onResourceChanged(ResourceChanged c) {
    List<ResourceDescriptor> next = new java.util.ArrayList<>();
    for (ResourceDescriptor r : resources) next.add(r.path().equals(c.resource().path()) ? c.resource() : r);
    resources = List.copyOf(next);
    getContext().getLog().info("{}: {} is now {}", id, c.resource().path(), c.resource().config());
    if (manager.isPresent()) {
      smm.tell(new SmmHandler.SendToManager(new ManagerProtocol.RegisterResources(id, resources, map)));
    }
    return this;
  }

  private Behavior<Command> onOob(FromOob f) {
    if (f.delivery().message() instanceof ManagerProtocol.MapUpdate u && u.map().epoch() < map.epoch()) {
      // Epochs only grow (a manager journals each change before it sends it, and one that starts
      // without a journal adopts the newest map the blades report): an older map comes from a
      // deposed manager or is late. Keep ours; say which epoch this blade routes with.
      getContext().getLog().warn("{} ignores map epoch {} from {}: it routes with epoch {}", id, u.map().epoch(),
          f.delivery().from(), map.epoch());
      if (f.delivery().responder() != null) f.delivery().responder().reply(new ManagerProtocol.MapInstalled(map.epoch()));
    } else if (f.delivery().message() instanceof ManagerProtocol.MapUpdate u) {
      // The manager is the authority on the map: its copy replaces ours (block 520).
      boolean changed = !u.map().equals(map);
      if (changed) {
        getContext().getLog().info("{} stores map epoch {} ({} volumes, digest {})",
            id, u.map().epoch(), u.map().volumes().size(), u.map().digest());
      }
      if (store != null && changed) store.save(u.map());
      map = u.map();
      if (changed) mapSubscribers.forEach(s -> s.tell(map));
      if (!u.resources().isEmpty()) registered = u.resources();
      // Answered once the access path routes with it (the manager waits for that).
      access.tell(new AccessDriver.MapInstalled(map, f.delivery().responder()));
      rebuilds.keySet().removeIf(k -> map.volume(k.substring(0, k.lastIndexOf('#'))).isEmpty());
    } else if (f.delivery().message() instanceof ManagerProtocol.RebuildProgress p) {
      rebuilds.put(p.volume() + "#" + p.position(), p);
      rebuildSubscribers.forEach(s -> s.tell(p));
    }
    return this;
  }
}
