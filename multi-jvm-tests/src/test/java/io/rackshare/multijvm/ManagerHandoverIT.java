package io.rackshare.multijvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.management.BladeStatus;
import io.rackshare.node.BladeProcess;
import io.rackshare.persistence.JournalDigest;
import io.rackshare.testkit.Tool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * {@code nomination = lowest-slot}, on H2's journal (and PostgreSQL's, see {@link #journals}): blades 2-4 run with blade 2 as the manager;
 * blade 1 joins under fio load and the manager moves to it by a graceful hand-off (no client
 * error, no second writer to the journal); then the whole cluster stops and starts again with its
 * volume's data and map intact.
 */
class ManagerHandoverIT {

  static final Duration T = Duration.ofMinutes(3);

  JournalCluster cluster;

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) cluster.close();
  }

  void copyOut(int slot, Path to) {
    Tool.run(T, "nbdcopy", cluster.nbd.get(slot) + "m", to.toString()).ok();
  }

  /**
   * The journals to run it on: H2 in the suite (PostgreSQL's journal is covered there by
   * ManagerFailoverIT's failover); {@code -Drackshare.it.all=true} (or {@code -Drackshare.it.handover-journals=h2,postgres}) runs both.
   */
  static java.util.stream.Stream<String> journals() {
    String all = Boolean.getBoolean("rackshare.it.all") ? "h2,postgres" : "h2";
    return java.util.Arrays.stream(System.getProperty("rackshare.it.handover-journals", all).split(","))
        .map(String::strip);
  }

  @ParameterizedTest
  @org.junit.jupiter.params.provider.MethodSource("journals")
  void aLowerSlotTakesOverGracefullyAndAFullRestartKeepsEverything(String journal) throws Exception {
    Path dir = TestDirs.fresh("ManagerHandoverIT-" + journal);
    cluster = JournalCluster.create(dir, journal, "lowest-slot", "local-maps", List.of(2, 3, 4, 1));
    for (int slot = 2; slot <= 4; slot++) cluster.start(slot);
    for (int slot = 2; slot <= 4; slot++) cluster.awaitReady(slot);
    cluster.await(4, "blade 2 runs the manager, blade 3 backs it up",
        s -> s.manager().equals(JournalCluster.blade(2)) && s.backup().equals(JournalCluster.blade(3)), T);

    Path state = dir.resolve("fio");
    Files.createDirectories(state);
    Process load = new ProcessBuilder("fio", "--name=m", "--ioengine=nbd", "--uri=" + cluster.nbd.get(4) + "m",
        "--rw=randwrite", "--bs=16k", "--iodepth=8", "--size=24M", "--rate=2m", "--verify=crc32c",
        "--verify_fatal=1", "--do_verify=1", "--verify_state_save=0")
        .directory(state.toFile()).redirectErrorStream(true).redirectOutput(state.resolve("fio.log").toFile()).start();

    long journaled = cluster.journal().sequenceNr();
    cluster.start(1);
    cluster.awaitReady(1);
    for (int slot = 1; slot <= 4; slot++) {
      cluster.await(slot, "blade 1 runs the manager, blade 2 backs it up",
          s -> s.manager().equals(JournalCluster.blade(1)) && s.backup().equals(JournalCluster.blade(2)), T);
    }
    BladeStatus m = cluster.await(1, "the manager on blade 1 has recovered", s -> s.managerRecovery() != null, T);
    assertTrue(journaled >= 3 && m.managerRecovery().sequenceNr() >= journaled,
        "it recovered blade 2's history (" + journaled + " events): " + m.managerRecovery());
    assertTrue(load.waitFor(3, TimeUnit.MINUTES), "fio finished");
    assertEquals(0, load.exitValue(), "no client error: " + Files.readString(state.resolve("fio.log")));
    for (BladeProcess b : cluster.blades.values()) {
      // A second writer would meet the journal's key (and stop): there was none.
      assertTrue(b.lines().stream().noneMatch(l -> l.contains("Failed to persist")), b.name() + " had a journal write refused");
    }
    JournalDigest.Result before = cluster.awaitDigestsMatchJournal(T);
    Path imageBefore = dir.resolve("before.img");
    copyOut(1, imageBefore);

    // Full-cluster stop and start: the same data directories and journal.
    for (BladeProcess b : cluster.blades.values()) b.terminate();
    for (BladeProcess b : cluster.blades.values()) b.awaitExit(Duration.ofSeconds(60));
    for (int slot : List.of(2, 3, 4, 1)) cluster.start(slot);
    for (int slot = 1; slot <= 4; slot++) cluster.awaitReady(slot);
    BladeStatus back = cluster.await(3, "blade 1 runs the manager again and the volume is whole",
        s -> s.manager().equals(JournalCluster.blade(1)) && s.volumes().size() == 1
            && s.volumes().get(0).health().equals("OPTIMAL"), T);
    assertNotNull(back.volumes().get(0));
    JournalDigest.Result after = cluster.awaitDigestsMatchJournal(T);
    assertTrue(after.sequenceNr() >= before.sequenceNr(), "the journal kept its events: " + before + " / " + after);
    assertTrue(after.mapEpoch() >= before.mapEpoch(), "the map's epoch did not go back: " + before + " / " + after);
    Path imageAfter = dir.resolve("after.img");
    copyOut(4, imageAfter);
    assertEquals(JournalCluster.sha256(imageBefore), JournalCluster.sha256(imageAfter), "the volume's data is intact");
  }
}
