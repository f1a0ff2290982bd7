package io.rackshare.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The README's example as a real test (its steps in {@link #writeThrough}): three blades as separate JVMs, a raid1 of blades 2 and 3
 * with a hot spare on blade 1, writes through blade 1's NBD export while blade 3 is killed with
 * SIGKILL; the spare is rebuilt and every acknowledged write reads back through blade 2. Then the
 * same with blade 3's cable pulled, each blade in a network namespace of its own and the manager
 * on a journal with a live backup (skipped where namespaces are not allowed).
 */
class FailoverAcrossJvmsIT {

  @RegisterExtension
  final RackshareExtension rackshare = new RackshareExtension();

  /** Blades 1-3 with one 32 MiB disk each; m0 a raid1 of blades 2 and 3 with a spare on blade 1. */
  static ClusterSpec.Builder threeBlades() {
    return ClusterSpec.separateJvms()
        .blades(3, "32MiB")
        .raid1("m0", List.of(2, 3), List.of(1));
  }

  /** Writes through blade 1 until {@code failure} struck blade 3 and m0 is rebuilt; verifies through blade 2. */
  static VerifyingWriter.Summary writeThrough(RackshareCluster cluster, Failure failure) throws Exception {
    VerifyingWriter writer = VerifyingWriter.start(cluster.blockDevice(1, "m0"), VerifyingWriter.Options.defaults());
    long before = writer.awaitAcknowledged(200, Duration.ofSeconds(30)).acknowledged();
    failure.strike(cluster);
    cluster.awaitRebuilt("m0", Duration.ofSeconds(60));
    writer.awaitAcknowledged(before + 200, Duration.ofSeconds(60));
    VerifyingWriter.Summary written = writer.stop(Duration.ofSeconds(30));
    VerifyingWriter.Verified verified = writer.verifyAll(cluster.blockDevice(2, "m0"));
    assertTrue(verified.blocksChecked() > 200, verified.toString());
    assertTrue(cluster.status(1).volumes().get(0).members().stream()
        .anyMatch(m -> m.device().equals(ClusterSpec.disk(1, 0))), "the spare took blade 3's place");
    return written;
  }

  /** What strikes blade 3. */
  interface Failure {
    void strike(RackshareCluster cluster) throws Exception;
  }

  @Test
  void aBladeKilledWithSigkillLosesNoAcknowledgedWrite() throws Exception {
    RackshareCluster cluster = rackshare.start(threeBlades().build());
    assertEquals(1, cluster.awaitManager(Duration.ofSeconds(30)));
    VerifyingWriter.Summary written = writeThrough(cluster, c -> c.kill(3)); // kill -9
    assertEquals(0, written.failed(), "the kill is a stall for the client, not an error: " + written);

    cluster.restart(3);
    assertEquals(List.of(1, 2, 3), cluster.running());
    cluster.awaitVolumeHealth("m0", "OPTIMAL", Duration.ofSeconds(30));
    assertTrue(java.nio.file.Files.exists(cluster.dataDir(3).resolve("node.log.1")), "the killed JVM's log is kept");
    UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> cluster.partition(2));
    assertTrue(e.getMessage().contains("network namespace"), e.getMessage());
  }

  @Test
  void aBladeCutOffLosesNoAcknowledgedWriteOfTheMajority() throws Exception {
    // Cut cables across JVMs are in the suite through PartitionIT (on this testkit's network
    // namespaces); this one runs in the whole set (-Drackshare.it.all=true), for the suite's time.
    org.junit.jupiter.api.Assumptions.assumeTrue(Boolean.getBoolean("rackshare.it.all"),
        "the suite's slice leaves it out: run with -Drackshare.it.all=true");
    // Each blade a host of its own: partition pulls its cable. The manager journals to a server on the bridge.
    RackshareCluster cluster = rackshare.start(threeBlades().networkNamespaces().journal().build());
    assertEquals(1, cluster.awaitManager(Duration.ofSeconds(30)));
    assertEquals(2, cluster.awaitBackup(Duration.ofSeconds(30)), "the next oldest blade follows the journal");
    assertTrue(cluster.nbdUri(1, "m0").startsWith("nbd://10.77."), "served on the blade's own address: "
        + cluster.nbdUri(1, "m0"));
    VerifyingWriter.Summary written = writeThrough(cluster, c -> c.partition(3));
    assertEquals(0, written.failed(), "the cut is a stall for the majority's client, not an error: " + written);
    cluster.heal(3);
  }
}
