package io.rackshare.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.rackshare.Rackshare;
import io.rackshare.RackshareSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/** Starts one blade as a cluster node from a configuration file layered on the node defaults. */
public final class RackshareNode {
  private RackshareNode() {}

  /** The actor system name every node of a Rackshare cluster shares. */
  public static final String SYSTEM_NAME = "rackshare";

  /** Reads {@code file} (HOCON) and layers it on the node defaults. */
  public static Config load(Path file) {
    if (!Files.isReadable(file)) {
      throw new IllegalArgumentException("cannot read configuration file " + file);
    }
    return nodeConfig(ConfigFactory.parseFile(file.toFile()));
  }

  /**
   * {@code user} over {@code rackshare-cluster.conf} over the reference configuration, with the
   * {@code rackshare.oob} address and {@code rackshare.seed-nodes} turned into Pekko's settings.
   */
  public static Config nodeConfig(Config user) {
    Config merged = user
        .withFallback(ConfigFactory.parseResources("rackshare-cluster.conf"))
        .withFallback(ConfigFactory.defaultReference())
        .resolve();
    Config oob = merged.getConfig("rackshare.oob");
    String host = oob.getString("hostname");
    int port = oob.getInt("port");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("rackshare.oob.port must be 0-65535, got " + port);
    }
    List<String> seeds = merged.getStringList("rackshare.seed-nodes").stream()
        .map(RackshareNode::seedAddress)
        .toList();
    Config derived = ConfigFactory.empty()
        .withValue("pekko.remote.artery.canonical.hostname", ConfigValueFactory.fromAnyRef(host))
        .withValue("pekko.remote.artery.canonical.port", ConfigValueFactory.fromAnyRef(port))
        // Not pekko.cluster.seed-nodes: Pekko would join as the actor system starts, while this JVM
        // is still busy starting the runtime (on a loaded machine its heartbeats then lag, and the
        // others down it). start() joins once the runtime is up.
        .withValue("pekko.cluster.seed-nodes", ConfigValueFactory.fromIterable(List.of()))
        .withValue("rackshare.join-seed-nodes", ConfigValueFactory.fromIterable(seeds));
    derived = tls(merged.getConfig("rackshare.tls")).withFallback(derived);
    String bind = oob.getString("bind-hostname");
    if (!bind.isEmpty()) {
      derived = derived.withValue("pekko.remote.artery.bind.hostname", ConfigValueFactory.fromAnyRef(bind));
    }
    return io.rackshare.persistence.Journals.apply(derived.withFallback(merged));
  }

  /** Artery's transport from {@code rackshare.tls}: {@code tls-tcp} with the blade's PEM files, or plain {@code tcp}. */
  static Config tls(Config tls) {
    if (!tls.getBoolean("enabled")) {
      return ConfigFactory.parseString("pekko.remote.artery.transport = tcp");
    }
    String dir = tls.getString("dir");
    if (dir.isBlank()) {
      throw new IllegalArgumentException("rackshare.tls.dir is not set: the out-of-band channel needs this blade's"
          + " certificate (make one with `rackshare certs`, or set rackshare.tls.enabled = off on a private network)");
    }
    Path d = Path.of(dir);
    String engine = "pekko.remote.artery.ssl.rotating-keys-engine.";
    Config c = ConfigFactory.empty()
        .withValue("pekko.remote.artery.transport", ConfigValueFactory.fromAnyRef("tls-tcp"))
        .withValue("pekko.remote.artery.ssl.ssl-engine-provider",
            ConfigValueFactory.fromAnyRef("org.apache.pekko.remote.artery.tcp.ssl.RotatingKeysSSLEngineProvider"));
    // Each of the engine's files, from the blade's directory.
    for (Map.Entry<String, String> f : List.of(Map.entry("cert-file", io.rackshare.tls.ClusterCa.CERT),
        Map.entry("key-file", io.rackshare.tls.ClusterCa.KEY), Map.entry("ca-cert-file", io.rackshare.tls.ClusterCa.CA_CERT))) {
      Path file = d.resolve(f.getValue());
      if (!Files.isReadable(file)) {
        throw new IllegalArgumentException("rackshare.tls.dir: cannot read " + file
            + " (make the blade's files with `rackshare certs`)");
      }
      c = c.withValue(engine + f.getKey(), ConfigValueFactory.fromAnyRef(file.toAbsolutePath().toString()));
    }
    return c;
  }

  static String seedAddress(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0 || colon == hostPort.length() - 1) {
      throw new IllegalArgumentException(
          "rackshare.seed-nodes: '" + hostPort + "' is not host:port");
    }
    try {
      int port = Integer.parseInt(hostPort.substring(colon + 1));
      if (port < 1 || port > 65535) throw new NumberFormatException();
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("rackshare.seed-nodes: bad port in '" + hostPort + "'");
    }
    return "pekko://" + SYSTEM_NAME + "@" + hostPort;
  }

  /** Starts the node: the actor system, the Rackshare runtime in it, and joins the seeds. */
  public static ActorSystem<Void> start(Config config) {
    // Check the whole rackshare section before anything starts: a bad config is a clear error.
    RackshareSettings.fromConfig(config);
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), SYSTEM_NAME, config);
    try {
      // A manager may start on this blade: its journal's tables must exist first.
      if (io.rackshare.persistence.Journals.jdbc(config)) {
        io.rackshare.persistence.Journals.prepare(system, java.time.Duration.ofSeconds(60));
      }
      Rackshare.get(system);
      org.apache.pekko.cluster.typed.Cluster cluster = org.apache.pekko.cluster.typed.Cluster.get(system);
      List<org.apache.pekko.actor.Address> seeds = (config.hasPath("rackshare.join-seed-nodes")
          ? config.getStringList("rackshare.join-seed-nodes") : List.<String>of()).stream()
          .map(org.apache.pekko.actor.AddressFromURIString::parse).toList();
      if (seeds.isEmpty()) {
        // No seed: this blade forms a cluster of its own (others join it through its address).
        cluster.manager().tell(org.apache.pekko.cluster.typed.Join.create(cluster.selfMember().address()));
      } else {
        cluster.manager().tell(new org.apache.pekko.cluster.typed.JoinSeedNodes(seeds));
      }
    } catch (RuntimeException e) {
      system.terminate();
      throw e;
    }
    return system;
  }
}
