package io.rackshare.example.log;

import com.typesafe.config.Config;
import io.rackshare.node.RackshareNode;
import java.nio.file.Path;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * The log service as a JVM of its own: one blade ({@code rackshare node}'s configuration file:
 * {@code rackshare.*}, and {@code log-service.*}) with the service on it.
 *
 * <pre>java -cp ... io.rackshare.example.log.LogServiceMain --config blade1.conf</pre>
 */
public final class LogServiceMain {

  private LogServiceMain() {}

  /**
   * Starts the blade and the service, and runs until the blade stops.
   *
   * @param args {@code --config FILE}
   */
  public static void main(String[] args) throws Exception {
    if (args.length != 2 || !args[0].equals("--config")) {
      System.err.println("usage: LogServiceMain --config FILE (a blade's HOCON configuration, with log-service.*)");
      System.exit(2);
    }
    ActorSystem<Void> system;
    try {
      Config config = RackshareNode.load(Path.of(args[1]));
      LogServiceSettings.fromConfig(config); // a bad log-service section is an error before the blade starts
      system = RackshareNode.start(config);
    } catch (IllegalArgumentException | com.typesafe.config.ConfigException e) {
      System.err.println("log-service: " + e.getMessage());
      System.exit(2);
      return;
    }
    LogService.get(system);
    system.getWhenTerminated().toCompletableFuture().get();
    System.exit(0);
  }
}
