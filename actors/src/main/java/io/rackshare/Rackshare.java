package io.rackshare;

import io.rackshare.access.AccessDriver;
import io.rackshare.access.BlockDevice;
import io.rackshare.access.Volumes;
import io.rackshare.blade.Blade;
import io.rackshare.blade.DiscoveredResource;
import io.rackshare.blade.ResourceDiscovery;
import io.rackshare.manager.ResourceManager;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.nbd.NbdServer;
import io.rackshare.nbd.VolumeExports;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import io.rackshare.smm.SmmHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;

/**
 * The Rackshare runtime inside an {@link ActorSystem} (with the cluster provider): this blade's
 * SMM handler, access driver and blade actor, and its candidacy for the global resource manager.
 * Embedding services call {@code Rackshare.get(system)} and use {@link #volume}; nodes list it in
 * {@code pekko.actor.typed.extensions} to start it with the system.
 */
public final class Rackshare implements Extension {

  public static final class Id extends ExtensionId<Rackshare> {
    private Id() {}

    @Override
    public Rackshare createExtension(ActorSystem<?> system) {
      return new Rackshare(system);
    }
  }

  public static final Id ID = new Id();

  public static Rackshare get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  private final ActorSystem<?> system;
  private final RackshareSettings settings;
  private final ActorRef<SmmHandler.Command> smm;
  private final ActorRef<AccessDriver.Command> access;
  private final ActorRef<Blade.Command> blade;
  private final AtomicReference<GlobalResourceMap> localMap =
      new AtomicReference<>(GlobalResourceMap.EMPTY);
  private final Volumes volumes;
  private final NbdServer nbd;

  private Rackshare(ActorSystem<?> system) {
    this.system = system;
    this.settings = RackshareSettings.fromConfig(system.settings().config());
    Executor io = system.dispatchers().lookup(DispatcherSelector.fromConfig("rackshare.io-dispatcher"));
    List<DiscoveredResource> discovered = discover(io);

    // The SMM handler and access driver hold registrations and requests in flight: a bug hit by
    // one message must not lose them, so they resume; the manager restarts and re-announces
    // itself, and the blades register again with it.
    smm = system.systemActorOf(
        Behaviors.supervise(SmmHandler.create(settings.blade(), settings.oob()))
            .onFailure(SupervisorStrategy.resume()),
        SmmHandler.NAME, Props.empty());
    access = system.systemActorOf(
        Behaviors.supervise(AccessDriver.create(
                settings.blade(), smm, settings.layouts(), settings.access(), localMap::set))
            .onFailure(SupervisorStrategy.resume()),
        "rackshare-access", Props.empty());
    blade = system.systemActorOf(
        Blade.create(settings.blade(), discovered, smm, access), "rackshare-blade", Props.empty());
    volumes = new Volumes(localMap::get, access, system, settings.callTimeout());

    nbd = settings.nbd().enabled() ? startNbd() : null;

    ResourceManager.Settings managerSettings = new ResourceManager.Settings(
        settings.volumes(), settings.layouts(), settings.resyncDebounce());
    ClusterSingleton.get(system).init(
        SingletonActor.of(
            Behaviors.supervise(ResourceManager.create(smm, managerSettings))
                .onFailure(SupervisorStrategy.restart()),
            "rackshare-manager"));
  }

  private NbdServer startNbd() {
    NbdServer server;
    try {
      server = NbdServer.start(settings.nbd(), new VolumeExports(localMap::get, volumes));
    } catch (IOException e) {
      throw new IllegalArgumentException("rackshare.nbd: " + e.getMessage(), e);
    }
    CoordinatedShutdown.get(system).addTask(
        CoordinatedShutdown.PhaseServiceUnbind(), "rackshare-nbd", () -> {
          server.close();
          return CompletableFuture.completedFuture(Done.getInstance());
        });
    return server;
  }

  private List<DiscoveredResource> discover(Executor io) {
    List<DiscoveredResource> out = new ArrayList<>();
    for (String className : settings.discovery()) {
      ResourceDiscovery d;
      try {
        d = (ResourceDiscovery) Class.forName(className).getDeclaredConstructor().newInstance();
      } catch (ReflectiveOperationException | ClassCastException e) {
        throw new IllegalArgumentException(
            "rackshare.blade.discovery: cannot load " + className + ": " + e, e);
      }
      out.addAll(d.discover(settings.blade(), settings.bladeConfig(), io));
    }
    return out;
  }

  public RackshareSettings settings() {
    return settings;
  }

  /** This blade's current copy of the global resource map. */
  public GlobalResourceMap localMap() {
    return localMap.get();
  }

  /** The volume as a block device, if this blade's map has it. */
  public Optional<BlockDevice> volume(String name) {
    return volumes.volume(name);
  }

  /** The volume as a block device as soon as this blade's map has it. */
  public CompletionStage<BlockDevice> awaitVolume(String name, Duration timeout) {
    return volumes.await(name, timeout);
  }

  /** The NBD server, when {@code rackshare.nbd.enabled}. */
  public Optional<NbdServer> nbdServer() {
    return Optional.ofNullable(nbd);
  }

  public ActorRef<SmmHandler.Command> smmHandler() {
    return smm;
  }

  public ActorRef<AccessDriver.Command> accessDriver() {
    return access;
  }

  public ActorRef<Blade.Command> blade() {
    return blade;
  }
}
