package io.rackshare;

import io.rackshare.access.AccessDriver;
import io.rackshare.access.BlockDevice;
import io.rackshare.access.Volumes;
import io.rackshare.blade.Blade;
import io.rackshare.blade.DiscoveredResource;
import io.rackshare.blade.ResourceDiscovery;
import io.rackshare.access.BlockDeviceException;
import io.rackshare.management.BladeStatus;
import io.rackshare.management.ManagementEndpoint;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.ServerBinding;
import io.rackshare.driver.BlockStore;
import io.rackshare.events.EventPublisher;
import io.rackshare.manager.ManagerBackup;
import io.rackshare.manager.ManagerSeat;
import io.rackshare.manager.ResourceManager;
import io.rackshare.map.DevicePath;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.nbd.NbdServer;
import io.rackshare.smm.DataLane;
import io.rackshare.smm.SmmHandler;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.coordination.lease.javadsl.Lease;
import org.apache.pekko.coordination.lease.javadsl.LeaseProvider;

/**
 * The Rackshare runtime inside an {@link ActorSystem} (with the cluster provider): this blade's
 * SMM handler with its data lane, the access path, the blade actor, the NBD front end if enabled,
 * and its candidacy for the global resource manager. Embedding services call {@code
 * Rackshare.get(system)} and use {@link #volume}, {@link #subscribe} and the operations below.
 *
 * <h2>Lifecycle</h2>
 * <ul>
 *   <li><b>Start.</b> The first {@link #get} starts the blade in that system: it discovers its
 *       resources, binds its data lane, NBD and management ports and stands for the manager's
 *       seat; a bad setting or a port in use fails that call with an {@link
 *       IllegalArgumentException} naming the setting. To start it with the system instead, list
 *       {@code "io.rackshare.Rackshare$Id"} in {@code pekko.actor.typed.extensions}. Later calls
 *       return the same instance. A system that is already shutting down gets an {@link
 *       IllegalStateException}.</li>
 *   <li><b>Stop.</b> Rackshare stops with its system's {@link CoordinatedShutdown} (run by {@code
 *       system.terminate()}, by the JVM's shutdown hook, or when the cluster downs this blade),
 *       phase by phase:
 *       <ol>
 *         <li>{@code service-unbind}: the NBD, management and console listeners close; clients
 *             already connected stay.</li>
 *         <li>{@code service-requests-done}: NBD's soft disconnect: each request an NBD client
 *             sends from now on is answered {@code ESHUTDOWN}; those in flight are answered
 *             (within the phase's time-out and {@code rackshare.nbd.drain-timeout}), then the
 *             connections close. Volumes still serve in this phase and the next ({@code
 *             service-stop}), so an embedding service's own tasks there can finish their
 *             writes.</li>
 *         <li>{@code cluster-leave}, {@code cluster-exiting}: the blade leaves the cluster
 *             gracefully: the others see it leave (not fail), the manager's seat, if this blade
 *             held it, passes to the next blade, and its members of volumes count as gone.</li>
 *         <li>{@code before-actor-system-terminate}: the access path closes (its intent log is
 *             flushed); then the actors stop, the data lane with them. A {@link BlockDevice} used
 *             after that fails its requests ({@link io.rackshare.access.IoError}); it never
 *             hangs.</li>
 *       </ol></li>
 * </ul>
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

  /**
   * The blade's runtime in {@code system}, started by the first call (see the lifecycle above).
   *
   * @throws IllegalArgumentException a setting is wrong or a port cannot be bound (the message
   *     names the setting)
   * @throws IllegalStateException {@code system} is shutting down, and Rackshare was not started
   *     in it before
   */
  public static Rackshare get(ActorSystem<?> system) {
    if (!system.hasExtension(ID)) {
      Optional<CoordinatedShutdown.Reason> reason = CoordinatedShutdown.get(system).getShutdownReason();
      if (reason.isPresent()) {
        throw new IllegalStateException("Rackshare cannot start in " + system.name() + ": it is shutting down ("
            + reason.get() + ")");
      }
    }
    return ID.apply(system);
  }

  private final ActorSystem<?> system;
  private final RackshareSettings settings;
  private final ActorRef<SmmHandler.Command> smm;
  private final ActorRef<Blade.Command> blade;
  private final Volumes volumes;
  private final DataLane lane;
  private final NbdServer nbd;
  private final ServerBinding management;
  private final io.rackshare.metrics.BladeMetrics metrics = new io.rackshare.metrics.BladeMetrics();
  private final ActorRef<EventPublisher.Command> events;
  private ActorRef<io.rackshare.console.ConsoleStation.Command> station;
  private io.rackshare.console.ConsoleView consoleView;
  private io.rackshare.console.AudioView audioView;
  private io.rackshare.console.RfbServer rfb;
  private ServerBinding stationWeb;
  private final java.util.concurrent.atomic.AtomicReference<ManagerBackup.View> backupView =
      new java.util.concurrent.atomic.AtomicReference<>(ManagerBackup.View.NONE);
  private final java.util.concurrent.atomic.AtomicReference<ManagerSeat.View> seatView =
      new java.util.concurrent.atomic.AtomicReference<>(ManagerSeat.View.NONE);
  /** How the manager last started on this blade (null: never here). */
  private final java.util.concurrent.atomic.AtomicReference<ResourceManager.Recovered> recovered =
      new java.util.concurrent.atomic.AtomicReference<>();

  private Rackshare(ActorSystem<?> system) {
    this.system = system;
    this.settings = RackshareSettings.fromConfig(system.settings().config());
    Executor io = system.dispatchers().lookup(DispatcherSelector.fromConfig("rackshare.io-dispatcher"));
    List<DiscoveredResource> discovered = discover();
    Map<DevicePath, BlockStore> stores = new HashMap<>();
    discovered.forEach(r -> {
      if (r.store() != null) stores.put(r.descriptor().path(), r.store());
    });

    // The data lane listens beside the OOB channel's Artery address.
    String oobHost = Cluster.get(system).selfMember().address().host().getOrElse(() -> "127.0.0.1");
    try {
      lane = DataLane.start(settings.blade(), oobHost, settings.dataLanePort(), settings.oob(),
          tls() == null ? null : tls()::material);
    } catch (IOException e) {
      throw new IllegalArgumentException("rackshare.oob.data-lane-port: cannot listen on " + oobHost + ":"
          + settings.dataLanePort() + ": " + e.getMessage(), e);
    }
    // The SMM handler holds registrations and requests in flight: a bug hit by one message must
    // not lose them, so it resumes; the manager restarts and re-announces itself, and the blades
    // register again with it.
    smm = system.systemActorOf(
        Behaviors.supervise(SmmHandler.create(settings.blade(), settings.oob(), lane))
            .onFailure(SupervisorStrategy.resume()),
        SmmHandler.NAME, Props.empty());
    volumes = new Volumes(system, settings.blade(), settings.layouts(), settings.access(), stores, io,
        lane, smm, "rackshare-access", settings.dataDir(), settings.oob().requestTimeout(), metrics);
    io.rackshare.blade.MapStore store = new io.rackshare.blade.MapStore(settings.dataDir());
    io.rackshare.map.GlobalResourceMap stored = store.load().orElse(null);
    if (stored != null) volumes.startFrom(stored);
    blade = system.systemActorOf(
        Blade.create(settings.blade(), discovered, smm, volumes.driver(), store, stored),
        "rackshare-blade", Props.empty());
    startConsole();
    nbd = settings.nbd().enabled() ? startNbd() : null;
    if (nbd != null) {
      ActorRef<io.rackshare.map.GlobalResourceMap> closing =
          system.systemActorOf(ExportClosing.create(nbd), "rackshare-export-closing", Props.empty());
      blade.tell(new Blade.SubscribeMap(closing));
    }
    events = system.systemActorOf(EventPublisher.create(blade, smm, settings.layouts()),
        "rackshare-events", Props.empty());
    answerExportClients();
    management = settings.management().enabled() ? startManagement() : null;
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
        "rackshare-access", () -> {
          volumes.close();
          return CompletableFuture.completedFuture(Done.getInstance());
        });

    ResourceManager.Settings managerSettings = new ResourceManager.Settings(
        settings.volumes(), settings.layouts(), settings.resyncDebounce(), settings.confirmTimeout(),
        settings.offlineRetry(), settings.journalPlugin(), settings.snapshotPlugin(), settings.snapshotEvery(),
        settings.fenceAfter(), settings.replaceFailedAfter(), settings.pool());
    system.systemActorOf(ManagerSeat.create(settings.blade(), smm, settings.seat(), lease(),
            (incarnation, authority) -> ResourceManager.create(smm, managerSettings, recovered::set, incarnation,
                authority), seatView),
        "rackshare-manager-seat", Props.empty());
    system.systemActorOf(ManagerBackup.create(settings.blade(), smm, settings.backup(), backupView),
        "rackshare-manager-backup", Props.empty());
  }

  /** The manager's lease, when one is configured ({@code rackshare.manager.lease.lease-class}). */
  private Lease lease() {
    if (settings.leaseClass().isEmpty()) return null;
    // Unique to this incarnation of the blade: a blade started again does not hold what its dead
    // self held.
    String owner = settings.blade() + "@" + Cluster.get(system).selfMember().uniqueAddress().address() + "#"
        + Cluster.get(system).selfMember().uniqueAddress().longUid();
    return LeaseProvider.get(system).getLease("rackshare-manager", "rackshare.manager.lease", owner);
  }

  /**
   * The console station, if this blade hosts it (issue 6). The blade's own console devices are
   * resources like its disks: {@link io.rackshare.console.ConsoleDiscovery} finds them and the
   * blade starts their driver.
   */
  private void startConsole() {
    io.rackshare.console.ConsoleSettings c =
        io.rackshare.console.ConsoleSettings.fromConfig(system.settings().config().getConfig("rackshare.console"));
    if (!c.station().enabled()) return;
    io.rackshare.console.ConsoleView view = new io.rackshare.console.ConsoleView(b -> {});
    station = system.systemActorOf(io.rackshare.console.ConsoleStation.create(settings.blade(), smm, blade, view,
        c.station().target().orElse(settings.blade())), "rackshare-console-station",
        Props.empty());
    consoleView = view;
    audioView = new io.rackshare.console.AudioView();
    system.systemActorOf(io.rackshare.console.AudioStation.create(settings.blade(), smm, blade, audioView),
        "rackshare-audio-station", Props.empty());
    try {
      io.rackshare.console.RfbServer rfb = io.rackshare.console.RfbServer.start(new io.rackshare.console.RfbServer.Settings(
          c.station().hostname(), c.station().port(), c.station().password(), c.station().fontSize(),
          "Rackshare console station", c.station().viewPassword()), view);
      this.rfb = rfb;
      CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceUnbind(), "rackshare-rfb", () -> {
        rfb.close();
        return CompletableFuture.completedFuture(Done.getInstance());
      });
      if (c.station().webPort() >= 0) {
        if (c.station().password().isEmpty()) {
          throw new IllegalArgumentException("rackshare.console.station: the web viewer (web-port) needs a password:"
              + " without one, any web page open in a browser on this host could type into the consoles; set"
              + " password, or web-port = -1");
        }
        stationWebHttps = RackshareSettings.https("rackshare.console.station", "web-tls", c.station().webTls(),
            c.station().hostname(), settings.tlsDir());
        stationWeb = io.rackshare.console.StationWeb.start(system, c.station().hostname(), c.station().webPort(),
                rfb.address(), c.station().novncDir().isEmpty() ? null : java.nio.file.Path.of(c.station().novncDir()),
                c.station().novncUrl(), c.station().webHosts(), stationWebHttps ? tls() : null,
                new io.rackshare.console.AudioSocket(system, audioView, rfb))
            .toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
        ServerBinding web = stationWeb;
        CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceUnbind(), "rackshare-station-web",
            () -> web.unbind().thenApply(x -> Done.getInstance()));
      }
    } catch (IOException | InterruptedException | java.util.concurrent.ExecutionException
        | java.util.concurrent.TimeoutException e) {
      throw new IllegalArgumentException("rackshare.console.station: " + e.getMessage(), e);
    }
  }

  /**
   * Routes this blade's console station to {@code target}'s console: the manager changes the global
   * map. Fails with an {@link IllegalArgumentException} saying why if it cannot (the blade has no
   * console, no manager answered).
   */
  public CompletionStage<io.rackshare.map.BladeId> selectConsole(io.rackshare.map.BladeId target) {
    if (station == null) {
      return CompletableFuture.failedFuture(new IllegalArgumentException("this blade hosts no console station"));
    }
    return AskPattern.<io.rackshare.console.ConsoleStation.Command, StatusReply<io.rackshare.map.BladeId>>ask(station,
            r -> new io.rackshare.console.ConsoleStation.Select(target, r),
            settings.oob().requestTimeout().plusSeconds(5), system.scheduler())
        .thenApply(r -> {
          if (r.isError()) throw new IllegalArgumentException(r.getError().getMessage());
          return r.getValue();
        });
  }

  /** The station's target, banner and addresses, for the management endpoint. */
  public CompletionStage<Map<String, Object>> consoleState() {
    if (station == null) {
      return CompletableFuture.failedFuture(new IllegalArgumentException("this blade hosts no console station"));
    }
    return AskPattern.<io.rackshare.console.ConsoleStation.Command, Optional<io.rackshare.map.BladeId>>ask(station,
            io.rackshare.console.ConsoleStation.GetTarget::new, Duration.ofSeconds(5), system.scheduler())
        .thenApply(t -> {
          Map<String, Object> m = new java.util.LinkedHashMap<>();
          m.put("target", t.map(Object::toString).orElse(""));
          m.put("banner", consoleView.currentBanner() == null ? "" : consoleView.currentBanner());
          m.put("vnc", rfbAddress().map(a -> "vnc://" + a.getHostString() + ":" + a.getPort()).orElse(""));
          m.put("web", stationWebUrl().orElse(""));
          // What the station shows, as text (the cells), for operators and scripts.
          m.put("screen", consoleView.current() == null ? "" : consoleView.current().text());
          return m;
        });
  }

  /** The last {@code lines} lines the station's target wrote to its console, with their times. */
  public CompletionStage<io.rackshare.console.ConsoleProtocol.Log> consoleLog(int lines) {
    if (station == null) {
      return CompletableFuture.failedFuture(new IllegalArgumentException("this blade hosts no console station"));
    }
    return AskPattern.<io.rackshare.console.ConsoleStation.Command, Optional<io.rackshare.map.BladeId>>ask(station,
            io.rackshare.console.ConsoleStation.GetTarget::new, Duration.ofSeconds(5), system.scheduler())
        .thenCompose(t -> t.isEmpty()
            ? CompletableFuture.failedFuture(new IllegalArgumentException("the station shows no blade"))
            : AskPattern.<SmmHandler.Command, SmmHandler.Response>ask(smm,
                r -> new SmmHandler.Request(t.get(), new io.rackshare.console.ConsoleProtocol.GetLog(lines), 0, r),
                Duration.ofSeconds(10), system.scheduler()))
        .thenApply(r -> {
          if (r instanceof SmmHandler.Answered a && a.message() instanceof io.rackshare.console.ConsoleProtocol.Log l) {
            return l;
          }
          throw new IllegalArgumentException("no console log: " + r);
        });
  }

  /** What the station's RFB server sent (updates, rectangles by encoding, bytes), when this blade hosts it. */
  public Optional<io.rackshare.console.RfbServer.Stats> rfbStats() {
    return Optional.ofNullable(rfb).map(io.rackshare.console.RfbServer::stats);
  }

  /** The station's web viewer ({@code http://host:port/}), when this blade hosts it. */
  public Optional<String> stationWebUrl() {
    return Optional.ofNullable(stationWeb).map(b -> ManagementEndpoint.url(b, stationWebHttps)).map(u -> u + "/");
  }

  /** The console station, when this blade hosts it. */
  public Optional<ActorRef<io.rackshare.console.ConsoleStation.Command>> consoleStation() {
    return Optional.ofNullable(station);
  }

  /** What the station shows (and where its keys go), when this blade hosts it. */
  public Optional<io.rackshare.console.ConsoleView> consoleView() {
    return Optional.ofNullable(consoleView);
  }

  /** What the station plays to its web viewers (the audio of the blade shown), when this blade hosts it. */
  public Optional<io.rackshare.console.AudioView> audioView() {
    return Optional.ofNullable(audioView);
  }

  /** The station's RFB address ({@code vnc://host:port}), when this blade hosts it. */
  public Optional<java.net.InetSocketAddress> rfbAddress() {
    return Optional.ofNullable(rfb).map(io.rackshare.console.RfbServer::address);
  }

  private NbdServer startNbd() {
    NbdServer server;
    try {
      server = NbdServer.start(settings.nbd(), new VolumeExports(volumes::localMap, volumes));
    } catch (IOException e) {
      throw new IllegalArgumentException("rackshare.nbd: " + e.getMessage(), e);
    }
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
    shutdown.addTask(CoordinatedShutdown.PhaseServiceUnbind(), "rackshare-nbd-unbind", () -> {
      server.stopAccepting();
      return CompletableFuture.completedFuture(Done.getInstance());
    });
    // The clients' requests in flight are answered while the volumes still serve (the blade
    // leaves the cluster in a later phase); a little of the phase's time is kept for the close.
    Duration phase = Duration.ofMillis(shutdown.timeout(CoordinatedShutdown.PhaseServiceRequestsDone()).toMillis());
    Duration drain = phase.minusMillis(Math.min(500, phase.toMillis() / 5));
    shutdown.addTask(CoordinatedShutdown.PhaseServiceRequestsDone(), "rackshare-nbd-drain", () ->
        CompletableFuture.supplyAsync(() -> {
          try {
            server.shutdown(drain.compareTo(settings.nbd().drainTimeout()) < 0 ? drain : settings.nbd().drainTimeout());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.close();
          }
          return Done.getInstance();
        }, shutdownThread("rackshare-nbd-drain")));
    return server;
  }

  /** Runs one shutdown task that blocks on a thread of its own (not one of the dispatchers'). */
  private static Executor shutdownThread(String name) {
    return task -> {
      Thread t = new Thread(task, name);
      t.setDaemon(true);
      t.start();
    };
  }

  private io.rackshare.management.OperatorToken operatorToken;

  /**
   * The operator token of this blade's management endpoint (empty if it runs none), for clients in
   * this JVM: an embedding service's own tools, the tests.
   */
  public Optional<io.rackshare.management.OperatorToken> operatorToken() {
    return Optional.ofNullable(operatorToken);
  }

  /**
   * The blade's TLS context (its certificate, trusting the cluster's CA), read again when its files
   * change (looked at every 10 s at most, by new connections); null without TLS.
   */
  private io.rackshare.io.TlsContexts.Reloading tls() {
    if (settings.tlsDir().isBlank()) return null;
    if (tlsContext == null) {
      tlsContext = io.rackshare.io.TlsContexts.reloading(java.nio.file.Path.of(settings.tlsDir()), "rackshare.tls",
          Duration.ofSeconds(10));
    }
    return tlsContext;
  }

  private io.rackshare.io.TlsContexts.Reloading tlsContext;
  private boolean stationWebHttps;

  private ServerBinding startManagement() {
    RackshareSettings.Management m = settings.management();
    ServerBinding b;
    try {
      ManagementEndpoint.Operations ops = new ManagementEndpoint.Operations() {
        @Override
        public CompletionStage<BladeStatus> status() {
          return Rackshare.this.status();
        }

        @Override
        public CompletionStage<Long> failMember(String volume, String device) {
          return Rackshare.this.failMember(volume, io.rackshare.map.DevicePath.parse(device));
        }

        @Override
        public CompletionStage<String> metrics() {
          return Rackshare.this.metricsText();
        }

        @Override
        public CompletionStage<Map<String, Object>> createVolume(io.rackshare.map.VolumeRequest request) {
          return Rackshare.this.createVolume(request, Duration.ofSeconds(60))
              .thenApply(io.rackshare.management.PoolStatus::placed);
        }

        @Override
        public CompletionStage<Map<String, Object>> growVolume(String volume, String size) {
          long bytes;
          try {
            bytes = io.rackshare.map.VolumeRequest.parseSize(size);
          } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
          }
          return Rackshare.this.growVolume(volume, bytes, Duration.ofSeconds(60))
              .thenApply(io.rackshare.management.PoolStatus::placed);
        }

        @Override
        public CompletionStage<Map<String, Object>> removeVolume(String volume, boolean force) {
          return Rackshare.this.removeVolume(volume, force, Duration.ofSeconds(10))
              .thenApply(x -> Map.of("volume", volume, "removed", true));
        }

        @Override
        public CompletionStage<Map<String, Object>> drainBlade(String blade, boolean on) {
          io.rackshare.map.BladeId id;
          try {
            id = io.rackshare.map.BladeId.parse(blade);
          } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
          }
          return Rackshare.this.drainBlade(id, on).thenApply(a -> Map.of("blade", a.blade().toString(),
              "draining", a.draining(), "moving", a.moving()));
        }

        @Override
        public CompletionStage<Map<String, Object>> changeMedium(String drive, String image) {
          return Rackshare.this.changeMedium(drive, image).thenApply(m -> {
            Map<String, Object> out = new java.util.LinkedHashMap<>();
            out.put("volume", m.volume());
            out.put("image", m.image() == null ? "" : m.image());
            out.put("size", m.sizeBytes());
            return out;
          });
        }

        @Override
        public CompletionStage<io.rackshare.management.PoolStatus> pool() {
          return Rackshare.this.pool();
        }

        @Override
        public CompletionStage<String> mapSvg() {
          return Rackshare.this.mapSvg();
        }

        @Override
        public CompletionStage<Map<String, Object>> console() {
          return Rackshare.this.consoleState();
        }

        @Override
        public CompletionStage<Object> consoleLog(int lines) {
          return Rackshare.this.consoleLog(lines).thenApply(l -> (Object) l);
        }

        @Override
        public CompletionStage<Map<String, Object>> consoleSelect(String blade) {
          io.rackshare.map.BladeId target;
          try {
            target = io.rackshare.map.BladeId.parse(blade);
          } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
          }
          return Rackshare.this.selectConsole(target).thenCompose(t -> consoleState());
        }
      };
      operatorToken = io.rackshare.management.OperatorToken.load(m.tokenFile());
      b = ManagementEndpoint.start(system, m.hostname(), m.port(), ops, operatorToken, m.https() ? tls() : null)
          .toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
    } catch (Exception e) {
      Throwable c = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
      while (c.getCause() != null) c = c.getCause();
      throw new IllegalArgumentException("rackshare.management: cannot listen on " + m.hostname() + ":" + m.port()
          + ": " + c.getMessage(), e);
    }
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceUnbind(), "rackshare-management",
        () -> b.unbind().thenApply(x -> Done.getInstance()));
    return b;
  }

  private List<DiscoveredResource> discover() {
    List<DiscoveredResource> out = new ArrayList<>();
    for (String className : settings.discovery()) {
      ResourceDiscovery d;
      try {
        d = (ResourceDiscovery) Class.forName(className).getDeclaredConstructor().newInstance();
      } catch (ReflectiveOperationException | ClassCastException e) {
        throw new IllegalArgumentException(
            "rackshare.blade.discovery: cannot load " + className + ": " + e, e);
      }
      out.addAll(d.discover(settings.blade(), system.settings().config().getConfig("rackshare")));
    }
    return out;
  }

  public RackshareSettings settings() {
    return settings;
  }

  /** This blade's current copy of the global resource map. */
  public GlobalResourceMap localMap() {
    return volumes.localMap();
  }

  /**
   * Sends {@code subscriber} this blade's {@link io.rackshare.events.RackshareEvent}s of {@code
   * type}: the current state first (each volume's health, the manager, each rebuild going on), then
   * each change. {@code type} is one of the event records ({@code VolumeHealthChanged}, {@code
   * VolumeRemoved}, {@code ManagerChanged}, {@code RebuildProgressed}), or {@code
   * RackshareEvent.class} for every kind. The subscription ends with {@link
   * io.rackshare.events.Subscription#cancel()} or when the subscriber stops.
   *
   * <pre>{@code
   * Subscription s = Rackshare.get(system).subscribe(RackshareEvent.VolumeHealthChanged.class, healthWatcher);
   * }</pre>
   */
  public <E extends io.rackshare.events.RackshareEvent> io.rackshare.events.Subscription subscribe(Class<E> type,
      ActorRef<E> subscriber) {
    return io.rackshare.events.EventPublisher.subscribe(events, type, subscriber);
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

  /** This blade's data lane (for the lane's own tests: its key never leaves the blade otherwise). */
  DataLane dataLane() {
    return lane;
  }

  /** The pool's disks and what uses each, as this blade's map and the manager's registrations say. */
  public CompletionStage<io.rackshare.management.PoolStatus> pool() {
    return bladeStatus().thenApply(io.rackshare.management.PoolStatus::of);
  }

  /** This blade's metrics in Prometheus' text format ({@code GET /metrics}). */
  public CompletionStage<String> metricsText() {
    return status().thenApply(s -> metrics.scrape(s, lane.load(), nbd == null ? 0 : nbd.connections()));
  }

  /** This blade's view: the manager, every volume's health, members and rebuild progress. */
  public CompletionStage<BladeStatus> status() {
    return bladeStatus().thenApply(this::status);
  }

  /** The global map as this blade sees it, as SVG ({@code GET /map.svg}): its status and pool from one look. */
  public CompletionStage<String> mapSvg() {
    return bladeStatus().thenApply(s -> io.rackshare.management.MapSvg.render(status(s),
        io.rackshare.management.PoolStatus.of(s)));
  }

  private BladeStatus status(Blade.Status s) {
    return BladeStatus.of(s, settings.layouts(), new BladeStatus.Roles(settings.access().routing(), backupView.get(),
        recovered.get(), clusterStates(backupView.get()), volumes.quorum(), seatView.get()));
  }

  /** What the blade actor holds: its map, resources, registrations and rebuild progress. */
  private CompletionStage<Blade.Status> bladeStatus() {
    return AskPattern.<Blade.Command, Blade.Status>ask(blade, Blade.GetStatus::new, Duration.ofSeconds(5),
        system.scheduler());
  }

  /** Each blade's state in the cluster's membership (Up, Leaving, ...; "unreachable" when so). */
  private Map<io.rackshare.map.BladeId, String> clusterStates(ManagerBackup.View view) {
    org.apache.pekko.cluster.ClusterEvent.CurrentClusterState state = Cluster.get(system).state();
    Map<org.apache.pekko.actor.Address, String> byAddress = new HashMap<>();
    state.getMembers().forEach(m -> byAddress.put(m.address(), m.status().toString()));
    state.getUnreachable().forEach(m -> byAddress.put(m.address(), "unreachable"));
    Map<io.rackshare.map.BladeId, String> out = new HashMap<>();
    view.addresses().forEach((b, a) -> out.put(b, byAddress.getOrDefault(a, "gone")));
    // Known dead by the data lane before the failure detector agrees.
    for (io.rackshare.map.BladeId b : volumes.unreachable()) out.computeIfPresent(b, (k, v) -> "unreachable");
    return out;
  }

  /**
   * Fails member {@code device} of {@code volume} as if it had failed (an operator's action, like
   * md's {@code --fail}): a hot spare takes its place and is rebuilt. Completes with the map epoch
   * from which it is no longer read.
   */
  public CompletionStage<Long> failMember(String volume, io.rackshare.map.DevicePath device) {
    io.rackshare.map.GlobalResourceDescriptor v = localMap().volumes().get(volume);
    if (v == null) {
      return CompletableFuture.failedFuture(new IllegalArgumentException("no volume '" + volume + "'"));
    }
    if (v.positionOf(device) < 0) {
      return CompletableFuture.failedFuture(new IllegalArgumentException(device + " is not a member of '" + volume + "'"));
    }
    return volumes.failMember(volume, device, v.epoch(), "failed by an operator");
  }

  /**
   * Creates volume {@code request} on the pool (as {@code rackshare volume create}): the manager
   * places its members on free extents of pooled disks, in different failure domains, and their
   * blades zero them. Completes with the volume's descriptor once this blade's map has it ready
   * for I/O (within {@code timeout}), or fails with the manager's reason (the pool cannot hold it,
   * the name is taken, the layout does not fit), an {@link IllegalArgumentException}.
   */
  public CompletionStage<io.rackshare.map.GlobalResourceDescriptor> createVolume(io.rackshare.map.VolumeRequest request,
      Duration timeout) {
    return askManagerForVolume(new io.rackshare.manager.ManagerProtocol.CreateVolume(request), request.name(), 0,
        timeout);
  }

  /**
   * Grows volume {@code name}, one created on the pool, to {@code sizeBytes} while it serves (as
   * {@code rackshare volume grow}): its parts get more extents on their disks, which their blades
   * zero. Completes with the grown descriptor once this blade's map has it (within {@code
   * timeout}), or fails with the manager's reason, an {@link IllegalArgumentException}. NBD
   * clients see the new size when they next connect; {@link BlockDevice#size()} at once.
   */
  public CompletionStage<io.rackshare.map.GlobalResourceDescriptor> growVolume(String name, long sizeBytes,
      Duration timeout) {
    return askManagerForVolume(new io.rackshare.manager.ManagerProtocol.GrowVolume(name, sizeBytes), name, sizeBytes,
        timeout);
  }

  /**
   * Removes volume {@code name}, one created on the pool (as {@code rackshare volume remove}):
   * refused while any blade serves it to an NBD client, unless {@code force} (their next request
   * fails), or while a blade does not answer whether it does. Completes once the manager has
   * journalled the removal; its parts' extents go back to the pool, zeroed before they are given
   * out again.
   */
  public CompletionStage<Void> removeVolume(String name, boolean force, Duration timeout) {
    if (localMap().volume(name).isEmpty()) {
      return CompletableFuture.failedFuture(new IllegalArgumentException("no volume '" + name + "'"));
    }
    CompletionStage<Void> checked = force ? CompletableFuture.completedFuture(null) : exportClients(name, timeout)
        .thenAccept(clients -> {
          if (!clients.isEmpty()) {
            throw new IllegalArgumentException("volume '" + name + "' has NBD clients (" + clients
                + "): disconnect them, or force the removal");
          }
        });
    return checked.thenCompose(x -> askManager(new io.rackshare.manager.ManagerProtocol.RemoveVolume(name),
            io.rackshare.manager.ManagerProtocol.VolumeAnswer.class))
        .thenAccept(answer -> { });
  }

  /**
   * Drains {@code blade} ({@code on}; as {@code rackshare blade drain}) or undrains it: a drained
   * blade takes no new extents, and the manager moves the volumes' members and spares on it to
   * other blades while they serve (copy, then switch the map, one member per volume at a time).
   * Completes once the manager has journalled it, with the moves under way; {@link #status()}
   * shows their progress and when the blade holds nothing any more. An undrain rolls back the
   * moves away from it that are under way. Fails with the manager's reason (an unknown blade), an
   * {@link IllegalArgumentException}.
   */
  public CompletionStage<io.rackshare.manager.ManagerProtocol.DrainAnswer> drainBlade(io.rackshare.map.BladeId blade,
      boolean on) {
    return askManager(new io.rackshare.manager.ManagerProtocol.DrainBlade(blade, on),
        io.rackshare.manager.ManagerProtocol.DrainAnswer.class);
  }

  /**
   * Inserts {@code image} (a file in the media directory of the drive's blade) into the
   * removable-media drive {@code drive}, named by its device path or its volume's name, or ejects
   * its medium ({@code image} null), like a BMC's virtual media. Completes with the drive's state
   * once this blade's map shows it (the medium exported, or its volume gone; the NBD clients of an
   * ejected or replaced medium are disconnected); fails with the reason it was refused ({@link
   * IllegalArgumentException}: no such drive, no such image) or did not happen in time.
   */
  public CompletionStage<io.rackshare.map.ResourceConfig.Medium> changeMedium(String drive, String image) {
    Duration timeout = settings.oob().requestTimeout().plusSeconds(10);
    return bladeStatus().thenCompose(s -> {
      io.rackshare.map.ResourceDescriptor found = null;
      for (io.rackshare.map.ResourceDescriptor r : s.known().values()) {
        if (r.config() instanceof io.rackshare.map.ResourceConfig.Medium m
            && (r.path().toString().equals(drive) || m.volume().equals(drive))) {
          found = r;
        }
      }
      if (found == null) {
        throw new IllegalArgumentException("no removable-media drive '" + drive + "' (name one by its device path,"
            + " Rack(r)/Chassis(c)/Blade(s)/Media(n), or its volume's name)");
      }
      DevicePath path = found.path();
      return AskPattern.<SmmHandler.Command, SmmHandler.Response>ask(smm,
              r -> new SmmHandler.Request(path.blade(), new io.rackshare.media.MediaProtocol.ChangeMedium(path, image),
                  0, r), timeout, system.scheduler())
          .thenCompose(r -> {
            if (!(r instanceof SmmHandler.Answered a
                && a.message() instanceof io.rackshare.media.MediaProtocol.MediumAnswer answer)) {
              throw new IllegalStateException(path.blade() + " did not answer (" + r + ")");
            }
            if (answer.refused() != null) throw new IllegalArgumentException(answer.refused());
            io.rackshare.map.ResourceConfig.Medium m = answer.medium();
            return awaitMap(map -> m.inserted()
                ? map.volume(m.volume()).filter(v -> m.incarnation().equals(v.member(0).incarnation())).isPresent()
                : map.volume(m.volume()).filter(v -> v.devices().equals(List.of(path))).isEmpty(),
                timeout, "the manager has not " + (m.inserted() ? "shared the medium" : "taken the medium out")
                    + " of " + path + " yet")
                .thenApply(x -> m);
          });
    });
  }

  /**
   * Completes once the map this blade's access path routes with (what its NBD exports and
   * devices serve) satisfies {@code shown}, looked at every 20 ms; fails saying {@code late} after
   * {@code timeout}.
   */
  private CompletionStage<io.rackshare.map.GlobalResourceMap> awaitMap(
      java.util.function.Predicate<io.rackshare.map.GlobalResourceMap> shown, Duration timeout, String late) {
    CompletableFuture<io.rackshare.map.GlobalResourceMap> done = new CompletableFuture<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    system.systemActorOf(Behaviors.<String>withTimers(timers -> {
      timers.startTimerWithFixedDelay("look", Duration.ofMillis(20));
      return Behaviors.receiveMessage(tick -> {
        io.rackshare.map.GlobalResourceMap now = volumes.localMap();
        if (shown.test(now)) {
          done.complete(now);
        } else if (System.nanoTime() > deadline) {
          done.completeExceptionally(new IllegalStateException(late));
        } else {
          return Behaviors.same();
        }
        return Behaviors.stopped();
      });
    }), "rackshare-await-map-" + java.util.UUID.randomUUID(), Props.empty());
    return done;
  }

  /**
   * The blades that serve volume {@code name} to NBD clients now, with how many each: this one,
   * and every other blade it knows, asked over the OOB channel; one that does not answer within
   * {@code timeout} is a clear error (it may be serving some).
   */
  private CompletionStage<Map<io.rackshare.map.BladeId, Integer>> exportClients(String name, Duration timeout) {
    Map<io.rackshare.map.BladeId, Integer> out = new java.util.concurrent.ConcurrentHashMap<>();
    int mine = nbd == null ? 0 : nbd.clientsOf(name);
    if (mine > 0) out.put(settings.blade(), mine);
    List<CompletableFuture<Void>> asked = new ArrayList<>();
    for (io.rackshare.map.BladeId b : backupView.get().addresses().keySet()) {
      if (b.equals(settings.blade())) continue;
      asked.add(AskPattern.<SmmHandler.Command, SmmHandler.Response>ask(smm,
              r -> new SmmHandler.Request(b, new io.rackshare.manager.ManagerProtocol.ExportClients(name), 0, r),
              timeout, system.scheduler()).toCompletableFuture()
          .thenAccept(r -> {
            if (r instanceof SmmHandler.Answered a
                && a.message() instanceof io.rackshare.manager.ManagerProtocol.ExportClientsAnswer answer) {
              if (answer.clients() > 0) out.put(b, answer.clients());
              return;
            }
            throw new IllegalArgumentException(b + " did not say whether it serves '" + name + "' to NBD clients ("
                + r + "): force the removal if it is gone");
          }));
    }
    return CompletableFuture.allOf(asked.toArray(CompletableFuture[]::new)).thenApply(x -> out);
  }

  /** Answers other blades asking how many NBD clients this blade serves a volume to. */
  private void answerExportClients() {
    ActorRef<SmmHandler.Delivery> handler = system.systemActorOf(
        org.apache.pekko.actor.typed.javadsl.Behaviors.<SmmHandler.Delivery>receiveMessage(d -> {
          if (d.message() instanceof io.rackshare.manager.ManagerProtocol.ExportClients q) {
            d.responder().reply(new io.rackshare.manager.ManagerProtocol.ExportClientsAnswer(q.volume(),
                nbd == null ? 0 : nbd.clientsOf(q.volume())));
          }
          return org.apache.pekko.actor.typed.javadsl.Behaviors.same();
        }), "rackshare-export-clients", Props.empty());
    smm.tell(new SmmHandler.RegisterHandler("export-clients",
        m -> m instanceof io.rackshare.manager.ManagerProtocol.ExportClients, handler));
  }

  /** Asks the manager to create or grow a volume, then waits for this blade's map to serve it at {@code minBytes}. */
  private CompletionStage<io.rackshare.map.GlobalResourceDescriptor> askManagerForVolume(
      io.rackshare.smm.OobMessage.ForManager command, String name, long minBytes, Duration timeout) {
    return askManager(command, io.rackshare.manager.ManagerProtocol.VolumeAnswer.class)
        .thenCompose(answer -> volumes.awaitSize(name, minBytes, timeout));
  }

  /**
   * Sends an operator's change to the manager: its answer (a {@code type}), or a failure with its
   * reason for refusing ({@link IllegalArgumentException}) or why it did not answer.
   */
  private <A> CompletionStage<A> askManager(io.rackshare.smm.OobMessage.ForManager command, Class<A> type) {
    return AskPattern.<SmmHandler.Command, SmmHandler.Response>ask(smm,
            r -> new SmmHandler.RequestToManager(command, 0, r),
            settings.oob().requestTimeout().plusSeconds(5), system.scheduler())
        .thenApply(r -> {
          if (r instanceof SmmHandler.Answered a && type.isInstance(a.message())) {
            String refused = a.message() instanceof io.rackshare.manager.ManagerProtocol.VolumeAnswer v ? v.refused()
                : a.message() instanceof io.rackshare.manager.ManagerProtocol.DrainAnswer d ? d.refused() : null;
            if (refused != null) throw new IllegalArgumentException(refused);
            return type.cast(a.message());
          }
          if (r instanceof SmmHandler.Failed f) {
            throw new IllegalStateException("the global resource manager did not answer (" + f.failure() + ": "
                + f.detail() + ")");
          }
          throw new IllegalStateException("unexpected answer " + r);
        });
  }

  /** Volume requests this blade served for the others as the manager's blade (manager-proxy routing). */
  public long proxiedRequests() {
    return volumes.proxiedRequests();
  }

  /** The management endpoint's URL, when {@code rackshare.management.enabled}. */
  public Optional<String> managementUrl() {
    return Optional.ofNullable(management).map(b -> ManagementEndpoint.url(b, settings.management().https()));
  }

  public ActorRef<SmmHandler.Command> smmHandler() {
    return smm;
  }

  public ActorRef<AccessDriver.Command> accessDriver() {
    return volumes.driver();
  }

  /** The blade's event publisher ({@link #subscribe} talks to it). */
  public ActorRef<EventPublisher.Command> events() {
    return events;
  }

  public ActorRef<Blade.Command> blade() {
    return blade;
  }
}
