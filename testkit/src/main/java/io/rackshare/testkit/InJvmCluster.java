package io.rackshare.testkit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rackshare.Rackshare;
import io.rackshare.access.BlockDevice;
import io.rackshare.management.BladeStatus;
import io.rackshare.map.VolumeRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.remote.RARP;
import org.apache.pekko.remote.transport.ThrottlerTransportAdapter;

/**
 * Blades as ActorSystems of the test's JVM (one {@link ActorTestKit} each), joined into a real
 * Pekko cluster over Artery on loopback with ports the OS picks. Artery runs in its test mode so
 * that a blade can be blackholed ({@link #partition}, {@link #kill}).
 */
final class InJvmCluster extends AbstractCluster {

  private static final String DEFAULTS = """
      pekko.actor.provider = cluster
      pekko.remote.artery.canonical.hostname = 127.0.0.1
      pekko.remote.artery.canonical.port = 0
      pekko.remote.artery.advanced.test-mode = on
      pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
      pekko.cluster.downing-provider-class = "org.apache.pekko.cluster.sbr.SplitBrainResolverProvider"
      pekko.cluster.split-brain-resolver.stable-after = 2s
      pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
      pekko.coordinated-shutdown.terminate-actor-system = on
      rackshare.nbd.enabled = on
      rackshare.nbd.port = 0
      """;

  private final Map<Integer, ActorTestKit> kits = new TreeMap<>();
  private final InJvmLogs logs;

  InJvmCluster(ClusterSpec spec, Path dir) {
    super(spec, dir);
    this.logs = InJvmLogs.attach(this.dir.resolve("cluster.log"));
  }

  @Override
  void start() throws Exception {
    startJournal(null);
    for (int slot : spec.slots()) startBlade(slot);
    for (int slot : spec.slots()) awaitServing(slot);
    for (ClusterSpec.PooledVolume p : spec.pooled()) {
      VolumeRequest r = new VolumeRequest(p.name(), p.layout(), VolumeRequest.parseSize(p.size()), p.copies(), 0,
          p.spares(), Map.of());
      rackshare(spec.slots().get(0)).createVolume(r, START).toCompletableFuture()
          .get(START.toSeconds() + 5, TimeUnit.SECONDS);
      for (int slot : running()) {
        rackshare(slot).awaitVolume(p.name(), START).toCompletableFuture().get(START.toSeconds() + 5, TimeUnit.SECONDS);
      }
    }
  }

  Config config(int slot) {
    Config c = ConfigFactory.parseString(journalHocon() + "rackshare.blade.slot = " + slot + "\n"
            + "rackshare.blade.data-dir = \"" + dataDir(slot).toString().replace("\\", "/") + "\"\n"
            + spec.blades().get(slot).hocon())
        .withFallback(ConfigFactory.parseString(spec.commonHocon()))
        .withFallback(ConfigFactory.parseString(DEFAULTS))
        .withFallback(ConfigFactory.load())
        .resolve();
    return journal == null ? c : io.rackshare.persistence.Journals.apply(c);
  }

  /** Starts blade {@code slot} and joins it through a running blade (or itself, the first). */
  private void startBlade(int slot) {
    ActorTestKit kit = ActorTestKit.create("rackshare", config(slot));
    if (logs != null) logs.blade(Cluster.get(kit.system()).selfMember().address().toString(), log(slot));
    // A manager may start on this blade: its journal's tables must exist first (as RackshareNode does).
    if (journal != null) io.rackshare.persistence.Journals.prepare(kit.system(), START);
    Rackshare.get(kit.system());
    Cluster cluster = Cluster.get(kit.system());
    List<Integer> others = running();
    Address seed = others.isEmpty() ? cluster.selfMember().address()
        : Cluster.get(kits.get(others.get(0)).system()).selfMember().address();
    kits.put(slot, kit);
    cluster.manager().tell(Join.create(seed));
    kit.createTestProbe().awaitAssert(START, Duration.ofMillis(50), () -> {
      if (cluster.selfMember().status() != MemberStatus.up()) {
        throw new AssertionError("blade " + slot + " is " + cluster.selfMember().status() + ", not Up");
      }
      return null;
    });
  }

  /** Waits until blade {@code slot} serves every declared volume. */
  private void awaitServing(int slot) throws Exception {
    for (ClusterSpec.Volume v : spec.volumes()) {
      rackshare(slot).awaitVolume(v.name(), START).toCompletableFuture().get(START.toSeconds() + 5, TimeUnit.SECONDS);
    }
  }

  Rackshare rackshare(int slot) {
    ActorTestKit kit = kits.get(slot);
    if (kit == null || kit.system().whenTerminated().isCompleted()) {
      throw new IllegalStateException("blade " + slot + " is not running (running: " + running() + ")");
    }
    return Rackshare.get(kit.system());
  }

  @Override
  public List<Integer> running() {
    List<Integer> r = new ArrayList<>();
    kits.forEach((slot, kit) -> {
      if (!kit.system().whenTerminated().isCompleted()) r.add(slot);
    });
    return r;
  }

  @Override
  public void kill(int slot) throws Exception {
    known(slot);
    blackhole(slot, ThrottlerTransportAdapter.blackholeThrottleMode());
    ActorTestKit kit = kits.remove(slot);
    partitioned.remove(slot);
    kit.system().terminate();
    kit.system().getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  @Override
  public void restart(int slot) throws Exception {
    known(slot);
    ActorTestKit old = kits.get(slot);
    if (old != null && !old.system().whenTerminated().isCompleted()) {
      throw new IllegalStateException("blade " + slot + " is running: kill it before restarting it");
    }
    kits.remove(slot);
    partitioned.remove(slot);
    startBlade(slot);
    awaitServing(slot);
  }

  @Override
  public void partition(int slot) throws Exception {
    known(slot);
    blackhole(slot, ThrottlerTransportAdapter.blackholeThrottleMode());
    partitioned.add(slot);
  }

  @Override
  public void heal(int slot) throws Exception {
    known(slot);
    if (kits.containsKey(slot) && !kits.get(slot).system().whenTerminated().isCompleted()) {
      blackhole(slot, ThrottlerTransportAdapter.unthrottledThrottleMode());
    }
    partitioned.remove(slot);
  }

  /** Sets {@code mode} on blade {@code slot}'s Artery transport towards every other running blade, both directions. */
  private void blackhole(int slot, ThrottlerTransportAdapter.ThrottleMode mode) throws Exception {
    ActorSystem<?> system = kits.get(slot).system();
    RARP rarp = (RARP) RARP.get(system);
    for (int other : running()) {
      if (other == slot) continue;
      Address a = Cluster.get(kits.get(other).system()).selfMember().address();
      scala.jdk.javaapi.FutureConverters.asJava(rarp.provider().transport().managementCommand(
              new ThrottlerTransportAdapter.SetThrottle(a, ThrottlerTransportAdapter.bothDirection(), mode)))
          .toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Override
  public BladeStatus status(int slot) throws Exception {
    return rackshare(slot).status().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Override
  public BlockDevice blockDevice(int slot, String volume) throws Exception {
    return rackshare(slot).awaitVolume(volume, Duration.ofSeconds(30)).toCompletableFuture().get(35, TimeUnit.SECONDS);
  }

  @Override
  public String nbdUri(int slot, String volume) {
    java.net.InetSocketAddress a = rackshare(slot).nbdServer()
        .orElseThrow(() -> new IllegalStateException("blade " + slot + " runs no NBD server (rackshare.nbd.enabled)"))
        .tcpAddress();
    return "nbd://" + a.getHostString() + ":" + a.getPort() + "/" + volume;
  }

  @Override
  public Path log(int slot) {
    return dataDir(slot).resolve("blade.log");
  }

  @Override
  public void close() {
    List<ActorTestKit> reversed = new ArrayList<>(kits.values());
    Collections.reverse(reversed);
    for (ActorTestKit kit : reversed) {
      if (!kit.system().whenTerminated().isCompleted()) kit.shutdownTestKit();
    }
    kits.clear();
    closeJournal();
    if (logs != null) logs.detach();
  }
}
