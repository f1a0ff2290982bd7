package io.rackshare.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Three blades in this JVM with a raid1 of blades 2 and 3 and a hot spare on blade 1: the
 * testkit's own failover test (kill, rebuild, verify, restart) and its partition.
 */
class InJvmClusterTest {

  static final Duration T = Duration.ofSeconds(60);

  @RegisterExtension
  final RackshareExtension rackshare = new RackshareExtension();

  static ClusterSpec spec() {
    return spec(ClusterSpec.inOneJvm());
  }

  /** Three blades of one 8 MiB disk, a raid1 of blades 2 and 3 with a spare on blade 1. */
  static ClusterSpec spec(ClusterSpec.Builder builder) {
    return builder
        .blades(3, "8MiB")
        .raid1("m0", List.of(2, 3), List.of(1))
        .setting("rackshare.access.rebuild-step", "256KiB")
        .build();
  }

  @Test
  void aBladeKilledDuringWritesLosesNoAcknowledgedWriteAndComesBack() throws Exception {
    RackshareCluster cluster = rackshare.start(spec());
    assertEquals(1, cluster.awaitManager(T), "the oldest blade runs the manager");
    cluster.awaitVolumeHealth("m0", "OPTIMAL", T);
    assertTrue(cluster.nbdUri(2, "m0").matches("nbd://127\\.0\\.0\\.1:\\d+/m0"), cluster.nbdUri(2, "m0"));

    VerifyingWriter writer = VerifyingWriter.start(cluster.blockDevice(1, "m0"),
        VerifyingWriter.Options.defaults().region(0, 2 << 20).rate(300));
    long before = writer.awaitAcknowledged(100, T).acknowledged();
    cluster.kill(3);
    assertEquals(List.of(1, 2), cluster.running());
    cluster.awaitRebuilt("m0", T);
    writer.awaitAcknowledged(before + 300, T);
    VerifyingWriter.Summary s = writer.stop(T);
    VerifyingWriter.Verified v = writer.verifyAll(cluster.blockDevice(2, "m0"));
    assertTrue(v.blocksChecked() > 100, v + " " + s);
    // The spare on blade 1 took blade 3's place.
    assertTrue(cluster.status(2).volumes().get(0).members().stream().anyMatch(m -> m.device().equals(ClusterSpec.disk(1, 0))),
        cluster.status(2).toString());

    IllegalStateException running = assertThrows(IllegalStateException.class, () -> cluster.restart(2));
    assertTrue(running.getMessage().contains("kill it before restarting it"), running.getMessage());
    cluster.restart(3);
    assertEquals(List.of(1, 2, 3), cluster.running());
    cluster.awaitVolumeHealth("m0", "OPTIMAL", T);
    writer.verifyAll(cluster.blockDevice(3, "m0"));
    assertTrue(Files.size(cluster.log(3)) > 0 || Files.size(cluster.dir().resolve("cluster.log")) > 0,
        "the blades' log lines are kept");
  }

  /** Also: an await that runs out fails saying what it awaited and the last status it saw. */
  @Test
  void aPartitionedBladeIsCutOffAndItsCopyRebuiltElsewhere() throws Exception {
    RackshareCluster cluster = rackshare.start(spec());
    cluster.awaitVolumeHealth("m0", "OPTIMAL", T);
    AssertionError e = assertThrows(AssertionError.class,
        () -> cluster.awaitVolumeHealth("m0", "FAILED", Duration.ofMillis(500)));
    assertTrue(e.getMessage().contains("volume 'm0' is FAILED not within PT0.5S"), e.getMessage());
    assertTrue(e.getMessage().contains("\"health\":\"OPTIMAL\""), e.getMessage());
    VerifyingWriter writer = VerifyingWriter.start(cluster.blockDevice(1, "m0"),
        VerifyingWriter.Options.defaults().region(0, 2 << 20).rate(300));
    long before = writer.awaitAcknowledged(100, T).acknowledged();
    cluster.partition(3);
    cluster.awaitRebuilt("m0", T);
    writer.awaitAcknowledged(before + 300, T);
    writer.stop(T);
    writer.verifyAll(cluster.blockDevice(2, "m0"));
    cluster.heal(3);
  }

  @Test
  void withAJournalTheBackupTakesOverWhenTheManagersBladeIsKilled() throws Exception {
    RackshareCluster cluster = rackshare.start(spec(ClusterSpec.inOneJvm().journal()));
    assertEquals(1, cluster.awaitManager(T));
    assertEquals(2, cluster.awaitBackup(T), "the next oldest blade follows the journal");
    VerifyingWriter writer = VerifyingWriter.start(cluster.blockDevice(3, "m0"),
        VerifyingWriter.Options.defaults().region(0, 2 << 20).rate(300));
    long before = writer.awaitAcknowledged(100, T).acknowledged();
    cluster.kill(1);
    assertEquals(2, cluster.awaitManager(T), "the backup took over");
    writer.awaitAcknowledged(before + 300, T);
    writer.stop(T);
    writer.verifyAll(cluster.blockDevice(2, "m0"));
  }

  @Test
  void aMemoryMirrorAndAVolumeCreatedBySizeServe() throws Exception {
    RackshareCluster cluster = rackshare.start(ClusterSpec.inOneJvm()
        .blades(3, "8MiB")
        .memory(1, "4MiB").memory(2, "4MiB")
        .volume("ram", "raid1", List.of(ClusterSpec.memory(1, 0), ClusterSpec.memory(2, 0)), List.of())
        .pooledVolume("p0", "raid1", "4MiB", 2, 0)
        .build());
    for (String volume : List.of("ram", "p0")) {
      cluster.awaitVolumeHealth(volume, "OPTIMAL", T);
      assertEquals(4L << 20, cluster.blockDevice(3, volume).size(), volume);
      VerifyingWriter writer = VerifyingWriter.start(cluster.blockDevice(3, volume),
          VerifyingWriter.Options.defaults().region(0, 1 << 20).rate(0));
      writer.awaitAcknowledged(300, T);
      writer.stop(T);
      assertTrue(writer.verifyAll(cluster.blockDevice(1, volume)).blocksChecked() > 100, volume);
    }
  }

  @Test
  void writesThroughAKilledBladesNbdExportFailAndAreUnknownNotLost() throws Exception {
    RackshareCluster cluster = rackshare.start(spec());
    NbdBlockDevice nbd = NbdBlockDevice.connect(cluster.nbdUri(3, "m0"));
    assertEquals(8L << 20, nbd.size());
    VerifyingWriter writer = VerifyingWriter.start(nbd, VerifyingWriter.Options.defaults().region(0, 2 << 20).rate(300));
    writer.awaitAcknowledged(100, T);
    cluster.kill(3); // the blade serving the client: its connection closes
    VerifyingWriter.Summary s = writer.stop(T);
    // The connection's end: closed (IOException, EOFException) or reset (SocketException), by how the kill lands.
    assertTrue(s.failed() > 0 && s.lastError().matches("(?s).*(IOException|EOFException|SocketException).*"),
        s.toString());
    VerifyingWriter.Verified v = writer.verifyAll(cluster.blockDevice(2, "m0"));
    assertTrue(v.blocksChecked() > 50, v.toString());
    nbd.close();
  }
}
