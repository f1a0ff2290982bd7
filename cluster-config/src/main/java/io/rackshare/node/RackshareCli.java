package io.rackshare.node;

import com.typesafe.config.Config;
import io.rackshare.Rackshare;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.map.VolumeSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code rackshare} command line. */
@Command(
    name = "rackshare",
    mixinStandardHelpOptions = true,
    version = "rackshare 0.1.0",
    description = "Pools the disks of many blades into global volumes.",
    subcommands = {RackshareCli.Node.class, Demo.class, Status.class, Pool.class, Volume.class, Blade.class, Media.class, Fail.class, Console.class, Certs.class,
        RackshareCli.JournalServerCommand.class,
        RackshareCli.JournalDigestCommand.class})
public final class RackshareCli implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    int code = commandLine().execute(args);
    // Exit even while actor systems run; the demo's shutdown hook stops them and cleans up.
    System.exit(code);
  }

  /** The command line, whose clear errors (bad input, no blade there) exit 2 with one line. */
  static CommandLine commandLine() {
    return new CommandLine(new RackshareCli())
        .setExecutionExceptionHandler((e, cmd, parsed) -> {
          if (e instanceof IllegalArgumentException || e instanceof java.io.IOException) {
            cmd.getErr().println("rackshare: " + e.getMessage());
            return 2;
          }
          throw e;
        });
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(System.out);
    return 0;
  }

  /** Starts one blade and runs until the node is stopped or downed. */
  @Command(name = "node", mixinStandardHelpOptions = true,
      description = "Start one blade from a configuration file.")
  static final class Node implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "HOCON file with rackshare.* settings")
    Path config;

    @Option(names = "--ready-timeout", defaultValue = "PT120S",
        description = "How long to wait for the declared volumes (ISO-8601, default ${DEFAULT-VALUE})")
    Duration readyTimeout;

    @Override
    public Integer call() throws Exception {
      Config c = RackshareNode.load(config);
      ActorSystem<Void> system = RackshareNode.start(c);
      Rackshare rackshare = Rackshare.get(system);
      // As soon as the blade is a member, where its OOB channel listens (it may have picked the
      // port itself: oob.port = 0): launchers give it to the next blades as their seed.
      org.apache.pekko.cluster.Cluster cluster = org.apache.pekko.cluster.Cluster.get(
          org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(system));
      cluster.registerOnMemberUp(() -> {
        System.out.println("RACKSHARE UP blade=" + rackshare.settings().blade() + " oob="
            + cluster.selfAddress().host().get() + ":" + cluster.selfAddress().port().get());
        System.out.flush();
      });
      for (VolumeSpec v : rackshare.settings().volumes()) {
        rackshare.awaitVolume(v.name(), readyTimeout).toCompletableFuture()
            .get(readyTimeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
      }
      GlobalResourceMap map = rackshare.localMap();
      // One line on stdout that launchers and tests wait for.
      String nbd = rackshare.nbdServer()
          .map(s -> "nbd://" + s.tcpAddress().getHostString() + ":" + s.tcpAddress().getPort() + "/")
          .orElse("-");
      System.out.println("RACKSHARE READY blade=" + rackshare.settings().blade()
          + " pid=" + ProcessHandle.current().pid()
          + " epoch=" + map.epoch() + " digest=" + map.digest()
          + " nbd=" + nbd
          + " mgmt=" + rackshare.managementUrl().orElse("-")
          + " volumes=" + String.join(",", map.volumes().keySet())
          + rackshare.rfbAddress().map(a -> " station=vnc://" + a.getHostString() + ":" + a.getPort()
              + "," + rackshare.stationWebUrl().orElse("-")).orElse(""));
      System.out.flush();
      system.getWhenTerminated().toCompletableFuture().get();
      return 0;
    }
  }

  /** Serves the embedded default journal (H2 over TCP) until stopped. */
  @Command(name = "journal-server", mixinStandardHelpOptions = true,
      description = "Serve the managers' journal (H2 over TCP on loopback) for the blades of this machine.")
  static final class JournalServerCommand implements Callable<Integer> {
    @Option(names = "--dir", defaultValue = "rackshare-journal", description = "where the database lives (default ${DEFAULT-VALUE})")
    Path dir;

    @Option(names = "--port", defaultValue = "9092", description = "TCP port on 127.0.0.1 (default ${DEFAULT-VALUE})")
    int port;

    @Override
    public Integer call() throws Exception {
      io.rackshare.persistence.JournalServer.loopbackOnly();
      io.rackshare.persistence.JournalServer server = io.rackshare.persistence.JournalServer.start(dir, port);
      System.out.println("RACKSHARE JOURNAL " + server.url());
      System.out.println("Set, on the blades of this machine:");
      System.out.println("  rackshare." + server.hocon());
      System.out.flush();
      Runtime.getRuntime().addShutdownHook(new Thread(server::close));
      new java.util.concurrent.CountDownLatch(1).await();
      return 0;
    }
  }

  /** Reads the map out of the manager's journal, as a blade-independent reference. */
  @Command(name = "journal-digest", mixinStandardHelpOptions = true,
      description = "Fold the manager's journal into the global map and print its epoch and digest.")
  static final class JournalDigestCommand implements Callable<Integer> {
    @Option(names = "--url", required = true, description = "the journal's JDBC URL (jdbc:h2:tcp://... or jdbc:postgresql://...)")
    String url;

    @Option(names = "--user", defaultValue = "rackshare", description = "database user (default ${DEFAULT-VALUE})")
    String user;

    @Option(names = "--password-file", description = "a file whose first line is the password (a journal server's credentials)")
    Path passwordFile;

    @Option(names = "--password", defaultValue = "", description = "database password (visible to ps: prefer --password-file)")
    String password;

    @Override
    public Integer call() throws Exception {
      io.rackshare.persistence.JournalDigest.Result r =
          io.rackshare.persistence.JournalDigest.read(url, user, passwordFile == null ? password
              : java.nio.file.Files.readAllLines(passwordFile).stream().findFirst().orElse("").trim(), Duration.ofSeconds(60));
      System.out.println("journal events=" + r.sequenceNr() + " epoch=" + r.mapEpoch() + " digest=" + r.mapDigest()
          + " volumes=" + r.volumes());
      return 0;
    }
  }
}
