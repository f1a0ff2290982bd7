package io.rackshare.testkit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rackshare.Rackshare;
import io.rackshare.blade.Blade;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;

/**
 * Blades as separate ActorSystems of one JVM, joined into a real Pekko cluster over Artery on
 * loopback (random ports). Each blade gets its own data directory under {@code root}.
 */
public final class TestBlades implements AutoCloseable {

  private final Path root;
  private final String commonHocon;
  private final Map<Integer, ActorTestKit> kits = new LinkedHashMap<>();
  private java.util.function.UnaryOperator<Config> finish = c -> c;

  /** Applies {@code f} to each blade's resolved configuration (e.g. a journal profile). */
  public TestBlades finishingConfigWith(java.util.function.UnaryOperator<Config> f) {
    this.finish = f;
    return this;
  }

  /** {@code commonHocon} is shared by every blade (volumes, tuning). */
  public TestBlades(Path root, String commonHocon) {
    this.root = root;
    this.commonHocon = commonHocon;
  }

  public Path dataDir(int slot) {
    return root.resolve("blade" + slot);
  }

  /** The configuration of blade {@code slot} with the given {@code rackshare.blade.disks} list. */
  public Config config(int slot, String disks) {
    return config(slot, disks, "");
  }

  /** As {@link #config(int, String)}, with {@code extraHocon} for this blade only. */
  public Config config(int slot, String disks, String extraHocon) {
    return ConfigFactory.parseString(extraHocon).withFallback(ConfigFactory.parseString(
            "rackshare.blade.slot = " + slot + "\n"
                + "rackshare.blade.data-dir = \"" + dataDir(slot).toString().replace("\\", "/") + "\"\n"
                + "rackshare.blade.disks = " + disks + "\n"))
        .withFallback(ConfigFactory.parseString(commonHocon))
        .withFallback(ConfigFactory.parseString("""
            pekko.actor.provider = cluster
            pekko.remote.artery.canonical.hostname = 127.0.0.1
            pekko.remote.artery.canonical.port = 0
            pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
            pekko.cluster.downing-provider-class = "org.apache.pekko.cluster.sbr.SplitBrainResolverProvider"
            pekko.cluster.split-brain-resolver.stable-after = 2s
            pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
            pekko.coordinated-shutdown.terminate-actor-system = on
            """))
        .withFallback(ConfigFactory.load())
        .resolve();
  }

  /** Starts blade {@code slot}, starts the runtime in it and joins it to the cluster. */
  public ActorTestKit start(int slot, String disks) {
    return start(slot, disks, "");
  }

  /** As {@link #start(int, String)}, with {@code extraHocon} for this blade only. */
  public ActorTestKit start(int slot, String disks, String extraHocon) {
    ActorTestKit kit = ActorTestKit.create("rackshare", finish.apply(config(slot, disks, extraHocon)));
    Rackshare.get(kit.system());
    Cluster cluster = Cluster.get(kit.system());
    // Join through a running blade (the first one started may be gone).
    org.apache.pekko.actor.Address seed = kits.isEmpty() ? cluster.selfMember().address()
        : Cluster.get(kits.values().iterator().next().system()).selfMember().address();
    cluster.manager().tell(Join.create(seed));
    kits.put(slot, kit);
    TestProbe<Object> probe = kit.createTestProbe();
    probe.awaitAssert(Duration.ofSeconds(20), () -> {
      if (cluster.selfMember().status() != MemberStatus.up()) {
        throw new AssertionError("blade " + slot + " is " + cluster.selfMember().status());
      }
      return null;
    });
    return kit;
  }

  /**
   * Starts blade {@code slot} with {@code extraHocon} expecting the runtime to refuse: returns why
   * (the blade's system is shut down again); fails if it started.
   */
  public RuntimeException startRefused(int slot, String disks, String extraHocon) {
    ActorTestKit kit = ActorTestKit.create("rackshare", finish.apply(config(slot, disks, extraHocon)));
    try {
      Rackshare.get(kit.system());
    } catch (RuntimeException e) {
      return e;
    } finally {
      kit.shutdownTestKit();
    }
    throw new AssertionError("blade " + slot + " started with " + extraHocon);
  }

  /** Stops blade {@code slot} (it leaves the cluster); {@link #start} may start it again. */
  public void stop(int slot) {
    ActorTestKit kit = kits.remove(slot);
    if (kit != null) kit.shutdownTestKit();
  }

  /** What a blade needs in its configuration for {@link #isolate}: Artery's test mode (its transport takes blackholes). */
  public static final String ISOLATABLE = "pekko.remote.artery.advanced.test-mode = on\n";

  /**
   * Cuts blade {@code slot} (started with {@link #ISOLATABLE}) off the others as a crash would look
   * to them: its Artery transport drops every message to and from every other blade, so they stop
   * hearing its heartbeats and find it unreachable; the split-brain resolver downs it on their side
   * and it downs itself on its own (and shuts down).
   */
  public void isolate(int slot) throws Exception {
    org.apache.pekko.remote.RARP rarp = (org.apache.pekko.remote.RARP) org.apache.pekko.remote.RARP.get(kits.get(slot).system());
    for (Map.Entry<Integer, ActorTestKit> other : kits.entrySet()) {
      if (other.getKey() == slot) continue;
      Address a = Cluster.get(other.getValue().system()).selfMember().address();
      scala.jdk.javaapi.FutureConverters.asJava(rarp.provider().transport().managementCommand(
              new org.apache.pekko.remote.transport.ThrottlerTransportAdapter.SetThrottle(a,
                  org.apache.pekko.remote.transport.ThrottlerTransportAdapter.bothDirection(),
                  org.apache.pekko.remote.transport.ThrottlerTransportAdapter.blackholeThrottleMode())))
          .toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
    }
  }

  public ActorTestKit kit(int slot) {
    return kits.get(slot);
  }

  public Rackshare rackshare(int slot) {
    return Rackshare.get(kits.get(slot).system());
  }

  public List<Integer> slots() {
    return new ArrayList<>(kits.keySet());
  }

  /**
   * Waits until blade {@code slot} routes with a map of at least {@code epoch} (a change the
   * manager confirmed to someone else reaches each blade a moment apart).
   */
  public void awaitMapEpoch(int slot, long epoch) {
    kits.get(slot).createTestProbe().awaitAssert(Duration.ofSeconds(10), Duration.ofMillis(20), () -> {
      if (rackshare(slot).localMap().epoch() < epoch) {
        throw new AssertionError("blade " + slot + " has map epoch " + rackshare(slot).localMap().epoch() + ", not " + epoch);
      }
      return null;
    });
  }

  /** Blade {@code slot}'s own view: its resources, its local map and where it sees the manager. */
  public Blade.Status status(int slot) {
    TestProbe<Blade.Status> p = kits.get(slot).createTestProbe();
    rackshare(slot).blade().tell(new Blade.GetStatus(p.ref()));
    return p.receiveMessage(Duration.ofSeconds(5));
  }

  @Override
  public void close() {
    List<ActorTestKit> reversed = new ArrayList<>(kits.values());
    java.util.Collections.reverse(reversed);
    reversed.forEach(ActorTestKit::shutdownTestKit);
    kits.clear();
  }
}
