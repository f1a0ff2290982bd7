package io.rackshare.access;

import io.rackshare.driver.BlockStore;
import io.rackshare.layout.Layouts;
import io.rackshare.manager.ManagerProtocol;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.smm.DataLane;
import io.rackshare.smm.SmmHandler;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * The access path of one blade, assembled: its local copy of the map, the requester side
 * ({@link AccessPath}), the target side on the data lane ({@link BlockTarget}) and the {@link
 * AccessDriver} actor that installs maps. Hands out {@link BlockDevice}s for the volumes.
 */
public final class Volumes {
  private final AtomicReference<GlobalResourceMap> map = new AtomicReference<>(GlobalResourceMap.EMPTY);
  private final AccessPath path;
  private final ActorRef<AccessDriver.Command> driver;
  private final ActorSystem<?> system;
  private final ScheduledExecutorService timer;
  private final IntentLog intents;
  private final AccessPath.FailureReport report;
  private final QuorumGate quorum;
  /** The blade that runs the manager, as this blade's SMM handler last heard. */
  private final AtomicReference<Optional<BladeId>> manager = new AtomicReference<>(Optional.empty());
  private final ProxyTarget proxyTarget;
  /** Where volume I/O goes: {@link #path} (local-maps) or the manager's blade (manager-proxy). */
  private final VolumeIo io;
  private final Layouts layouts;

  /**
   * Assembles the access path. {@code dataDir} keeps this blade's write-intent log (null: in
   * memory only).
   */
  public Volumes(ActorSystem<?> system, BladeId self, Layouts layouts, AccessSettings settings,
      Map<DevicePath, BlockStore> stores, Executor io, DataLane lane, ActorRef<SmmHandler.Command> smm,
      String driverName, java.nio.file.Path dataDir, Duration requestTimeout, io.rackshare.metrics.BladeMetrics metrics) {
    this.system = system;
    this.metrics = metrics;
    this.layouts = layouts;
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "rackshare-access-retries");
      t.setDaemon(true);
      return t;
    });
    Map<String, Long> lastAsk = new ConcurrentHashMap<>();
    long debounce = settings.resyncDebounce().toNanos();
    BlockTarget.Resync resync = (volume, seenEpoch, reason) -> {
      long now = System.nanoTime();
      Long last = lastAsk.get(volume);
      if (last != null && now - last < debounce) return;
      lastAsk.put(volume, now);
      smm.tell(new SmmHandler.SendToManager(new ManagerProtocol.ResyncRequest(self, volume, seenEpoch, reason)));
    };
    this.quorum = new QuorumGate(timer);
    this.report = new FailureReports(self, smm, system.scheduler(), timer, quorum, settings, requestTimeout);
    RangeLocks locks = new RangeLocks();
    LaneClient client = new LaneClient(lane, settings.stripeTimeout());
    Retries retries = new Retries(self, map::get, settings, resync, this.report, timer);
    this.path = new AccessPath(self, map::get, layouts, settings, client, retries, locks, quorum);
    IntentLog intents;
    try {
      if (dataDir != null) java.nio.file.Files.createDirectories(dataDir);
      intents = new IntentLog(dataDir, timer, java.time.Duration.ofSeconds(5));
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("rackshare.blade.data-dir: cannot keep the write-intent log in "
          + dataDir + ": " + e.getMessage(), e);
    }
    this.intents = intents;
    StripeCoordinator coordinator =
        new StripeCoordinator(self, map::get, layouts, client, retries, resync, intents, lane.buffers());
    Map<DevicePath, Long> sizes = new java.util.HashMap<>();
    stores.forEach((d, s) -> sizes.put(d, s.size()));
    DirtyRegions dirty = new DirtyRegions(self, sizes, settings.resyncRegionBytes(), settings.resyncWindow());
    Parts parts = new Parts(self, stores, io, timer, map::get, (volume, part, blocks) ->
        smm.tell(new SmmHandler.SendToManager(new ManagerProtocol.PartReady(self, volume, part, blocks))));
    BlockTarget target =
        new BlockTarget(self, map::get, layouts, parts, io, resync, lane.buffers(), locks, coordinator, dirty);
    this.proxyTarget = new ProxyTarget(self, manager::get, path);
    lane.serve((from, frame) -> frame.type() == BlockFrames.PROXY
        ? proxyTarget.handle(from, frame) : target.handle(from, frame));
    this.io = settings.routing().equals(AccessSettings.MANAGER_PROXY)
        ? new ProxyPath(self, manager::get, proxyTarget, lane, settings.proxyTimeout(), timer)
        : path;
    system.systemActorOf(org.apache.pekko.actor.typed.javadsl.Behaviors.<SmmHandler.Topology>setup(ctx -> {
      smm.tell(new SmmHandler.SubscribeTopology(ctx.getSelf()));
      return org.apache.pekko.actor.typed.javadsl.Behaviors.receiveMessage(t -> {
        manager.set(t.manager());
        quorum.update(t.quorum());
        unreachable.set(t.unreachable());
        return org.apache.pekko.actor.typed.javadsl.Behaviors.same();
      });
    }), driverName + "-manager", org.apache.pekko.actor.typed.Props.empty());
    this.driver = system.systemActorOf(
        AccessDriver.create(path, m -> {
          parts.installing(() -> dirty.mapInstalled(map.getAndSet(m), m));
          parts.installed(m);
        }, new Rebuilder.Context(self, path, layouts, settings, smm),
            coordinator),
        driverName, org.apache.pekko.actor.typed.Props.empty());
  }

  /** Tells the manager that {@code device} failed; completes with the confirmed map epoch. */
  public CompletionStage<Long> failMember(String volume, DevicePath device, long seenEpoch, String reason) {
    return report.memberFailed(volume, device, seenEpoch, reason, false);
  }

  public ActorRef<AccessDriver.Command> driver() {
    return driver;
  }

  /**
   * Routes with {@code stored}, the map this blade kept before it stopped, from this call on: a
   * caller that starts the runtime and at once reads a volume is served, not told that no volume
   * exists yet. The blade installs the same map in the access driver.
   */
  public void startFrom(GlobalResourceMap stored) {
    map.compareAndSet(GlobalResourceMap.EMPTY, stored);
  }

  /** The peers suspected by the failure detector or known gone (their lane closed by their host). */
  public java.util.Set<BladeId> unreachable() {
    return unreachable.get();
  }

  private final AtomicReference<java.util.Set<BladeId>> unreachable = new AtomicReference<>(java.util.Set.of());

  /** Whether this blade's side of the cluster has a quorum now (it serves I/O only then). */
  public io.rackshare.smm.Quorum quorum() {
    return quorum.quorum();
  }

  public GlobalResourceMap localMap() {
    return map.get();
  }

  public Optional<BlockDevice> volume(String name) {
    return map.get().volume(name).map(d -> device(name));
  }

  /** The volume's descriptor once this blade's map has it, ready, of at least {@code minBytes}. */
  public CompletionStage<GlobalResourceDescriptor> awaitSize(String name, long minBytes, Duration timeout) {
    return AskPattern.<AccessDriver.Command, GlobalResourceDescriptor>ask(
        driver, r -> new AccessDriver.AwaitVolume(name, minBytes, r), timeout, system.scheduler());
  }

  public CompletionStage<BlockDevice> await(String name, Duration timeout) {
    return AskPattern.<AccessDriver.Command, GlobalResourceDescriptor>ask(
            driver, r -> new AccessDriver.AwaitVolume(name, r), timeout, system.scheduler())
        .thenApply(d -> device(name));
  }

  /** The volume's device, its requests counted in this blade's metrics. */
  private BlockDevice device(String name) {
    GlobalResourceDescriptor now = map.get().volumes().get(name);
    // A removable medium's device is of the medium inserted now: once it is ejected or changed,
    // the device fails every request rather than read another medium.
    String medium = now != null && layouts.get(now.layout()).readOnly() ? now.member(0).incarnation() : null;
    return new io.rackshare.metrics.MeteredDevice(new Volume(name, () -> map.get().volumes().get(name), io,
        now != null && layouts.get(now.layout()).readOnly(), medium, () -> closed), metrics.meter(name));
  }

  private final io.rackshare.metrics.BladeMetrics metrics;

  /** Requests this blade served for others as the manager's blade (manager-proxy routing). */
  public long proxiedRequests() {
    return proxyTarget.served();
  }

  /** The access path closed: every device fails its requests from now on. */
  private volatile boolean closed;

  public void close() {
    closed = true;
    intents.close();
    timer.shutdownNow();
  }
}
