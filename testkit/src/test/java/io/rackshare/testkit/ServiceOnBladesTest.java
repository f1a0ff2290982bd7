package io.rackshare.testkit;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link ClusterSpec.Builder#service}: the service's extension starts on every blade, and {@link
 * RackshareCluster#awaitLogLine} finds the line it logs.
 */
class ServiceOnBladesTest {

  static final Duration T = Duration.ofSeconds(30);

  @RegisterExtension
  final RackshareExtension rackshare = new RackshareExtension();

  @Test
  void aServiceStartsOnEveryBladeAndSaysSoInItsLog() throws Exception {
    ClusterSpec spec = ClusterSpec.inOneJvm().blades(2, "8MiB").service(GreetingService.Id.class).build();
    assertTrue(spec.hocon().contains("pekko.actor.typed.extensions += \"io.rackshare.testkit.GreetingService$Id\""),
        spec.hocon());
    RackshareCluster cluster = rackshare.start(spec);
    for (int slot : cluster.running()) {
      String line = cluster.awaitLogLine(slot, GreetingService.READY, T);
      assertTrue(line.endsWith(GreetingService.READY + " slot=" + slot), line);
    }
    AssertionError none = assertThrows(AssertionError.class,
        () -> cluster.awaitLogLine(1, "NOBODY SAYS THIS", Duration.ofMillis(300)));
    assertTrue(none.getMessage().contains("a line containing 'NOBODY SAYS THIS'"), none.getMessage());
    assertThrows(IllegalArgumentException.class, () -> cluster.awaitLogLine(9, GreetingService.READY, T));
  }
}
