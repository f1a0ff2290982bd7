package io.rackshare.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The README's example as a real test: three blades as separate JVMs, a raid1 of blades 2 and 3
 * with a hot spare on blade 1, writes through blade 1's NBD export while blade 3 is killed with
 * SIGKILL; the spare is rebuilt and every acknowledged write reads back through blade 2.
 */
class FailoverAcrossJvmsIT {

  @RegisterExtension
  final RackshareExtension rackshare = new RackshareExtension();

  @Test
  void aBladeKilledWithSigkillLosesNoAcknowledgedWrite() throws Exception {
    RackshareCluster cluster = rackshare.start(ClusterSpec.separateJvms()
        .blades(3, "32MiB")
        .raid1("m0", List.of(2, 3), List.of(1))
        .build());
    assertEquals(1, cluster.awaitManager(Duration.ofSeconds(30)));
    VerifyingWriter writer = VerifyingWriter.start(cluster.blockDevice(1, "m0"), VerifyingWriter.Options.defaults());
    long before = writer.awaitAcknowledged(200, Duration.ofSeconds(30)).acknowledged();

    cluster.kill(3);
    cluster.awaitRebuilt("m0", Duration.ofSeconds(60));
    writer.awaitAcknowledged(before + 200, Duration.ofSeconds(30));
    VerifyingWriter.Summary written = writer.stop(Duration.ofSeconds(30));
    VerifyingWriter.Verified verified = writer.verifyAll(cluster.blockDevice(2, "m0"));

    assertEquals(0, written.failed(), "the kill is a stall for the client, not an error: " + written);
    assertTrue(verified.blocksChecked() > 200, verified.toString());
    assertTrue(cluster.status(1).volumes().get(0).members().stream()
        .anyMatch(m -> m.device().equals(ClusterSpec.disk(1, 0))), "the spare took blade 3's place");
    UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> cluster.partition(2));
    assertTrue(e.getMessage().contains("network namespace"), e.getMessage());
  }
}
