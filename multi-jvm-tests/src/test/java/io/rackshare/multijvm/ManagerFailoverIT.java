package io.rackshare.multijvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.management.BladeStatus;
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
 * The manager's JVM is killed (SIGKILL) while fio verifies writes through another blade, for each
 * nomination policy, on the H2 journal server (as the demo runs it) and on a real PostgreSQL:
 *
 * <ul>
 *   <li>the client sees no error (blades route with their own maps: {@code local-maps});
 *   <li>the live backup takes over, replaying only the journal's tail after its snapshot, with
 *       the map as it was (member states included);
 *   <li>a new backup is nominated;
 *   <li>every blade's map digest matches the journal's, folded independently.
 * </ul>
 */
class ManagerFailoverIT {

  static final Duration T = Duration.ofMinutes(3);

  JournalCluster cluster;

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) cluster.close();
  }

  /**
   * lowest-slot on PostgreSQL's journal in the suite; first-in on H2 too with {@code
   * -Drackshare.it.all=true} (H2's journal and a takeover by the backup under fio are in the suite
   * through ManagerBladeDeathIT).
   */
  static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> policies() {
    java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> suite =
        java.util.stream.Stream.of(org.junit.jupiter.params.provider.Arguments.of("lowest-slot", "postgres"));
    return Boolean.getBoolean("rackshare.it.all")
        ? java.util.stream.Stream.concat(java.util.stream.Stream.of(
            org.junit.jupiter.params.provider.Arguments.of("first-in", "h2")), suite)
        : suite;
  }

  @ParameterizedTest(name = "{0} on {1}")
  @org.junit.jupiter.params.provider.MethodSource("policies")
  void theBackupTakesOverUnderLoad(String policy, String journal) throws Exception {
    Path dir = TestDirs.fresh("ManagerFailoverIT-" + policy + "-" + journal);
    cluster = JournalCluster.create(dir, journal, policy, "local-maps", List.of(1, 2, 3, 4));
    // Blade 1 first: it is the oldest member and the lowest slot, so it runs the first manager.
    cluster.start(1);
    cluster.awaitLog(1, "global resource manager started");
    for (int slot = 2; slot <= 4; slot++) cluster.start(slot);
    for (int slot = 1; slot <= 4; slot++) cluster.awaitReady(slot);
    // Blades 2-4 start together and may become members in any order: the backup is the policy's
    // choice among the members there are, so under lowest-slot it is blade 2 once blade 2 is in.
    BladeStatus first = cluster.await(4, "a manager and the policy's backup are named",
        s -> s.manager().equals(JournalCluster.blade(1)) && !s.backup().isEmpty() && s.bladeDetails().size() == 4
            && (!policy.equals("lowest-slot") || s.backup().equals(JournalCluster.blade(2))), T);
    assertEquals(policy, first.nomination());
    int backup = Integer.parseInt(first.backup().replaceAll(".*Blade\\((\\d+)\\)", "$1"));
    BladeStatus m = cluster.status(1);
    assertNotNull(m.managerRecovery(), "the manager's blade says how it recovered");
    assertEquals(0, m.managerRecovery().sequenceNr(), "the first manager started from an empty journal");

    // A change the blades must not forget: an operator fails blade 3's copy.
    Tool.run(T, "java", "-cp", System.getProperty("java.class.path"), "io.rackshare.node.RackshareCli", "fail",
        "--url", cluster.mgmt.get(4), "--volume", "m", "--device", "Rack(1)/Chassis(1)/Blade(3)/Disk(0)").ok();
    JournalDigest.Result before = cluster.awaitDigestsMatchJournal(T);
    assertTrue(before.sequenceNr() >= 4, "registrations, the volume and the failure are journaled: " + before);
    // The backup has folded every event and keeps them as a snapshot.
    cluster.await(backup, "the backup follows the whole journal", s -> s.backupFollowing() != null
        && s.backupFollowing().snapshotSequenceNr() == before.sequenceNr(), T);

    Path state = dir.resolve("fio");
    Files.createDirectories(state);
    List<String> fio = List.of("fio", "--name=m", "--ioengine=nbd", "--uri=" + cluster.nbd.get(4) + "m",
        "--rw=randwrite", "--bs=16k", "--iodepth=8", "--size=24M", "--rate=2m", "--verify=crc32c",
        "--verify_fatal=1", "--do_verify=1", "--verify_state_save=0");
    Process load = new ProcessBuilder(fio).directory(state.toFile()).redirectErrorStream(true)
        .redirectOutput(state.resolve("fio.log").toFile()).start();
    assertTrue(!load.waitFor(2, TimeUnit.SECONDS), "fio still writes when the manager dies");
    cluster.blades.get(1).kill();

    // The backup takes over and recovers the map as it was, from its own snapshot.
    BladeStatus taken = cluster.await(backup, "the backup runs the manager", s -> s.managerRecovery() != null
        && s.manager().equals(JournalCluster.blade(backup)), T);
    assertEquals(before.sequenceNr(), taken.managerRecovery().sequenceNr(), "the journal as it was at the kill");
    assertEquals(0, taken.managerRecovery().replayedEvents(),
        "nothing to replay after the backup's snapshot: " + taken.managerRecovery());
    assertTrue(load.waitFor(3, TimeUnit.MINUTES), "fio finished");
    assertEquals(0, load.exitValue(), "no client error: " + Files.readString(state.resolve("fio.log")));

    // Blade 3's copy was stale (it missed the writes since): it was resynchronised, not taken
    // back as it was. A new backup is named, and every blade routes with the journal's map.
    BladeStatus after = cluster.await(4, "the volume is whole again and a new backup is named",
        s -> s.manager().equals(JournalCluster.blade(backup)) && s.volumes().get(0).health().equals("OPTIMAL")
            && !s.backup().isEmpty() && !s.backup().equals(JournalCluster.blade(1))
            && !s.backup().equals(s.manager()), T);
    int newBackup = Integer.parseInt(after.backup().replaceAll(".*Blade\\((\\d+)\\)", "$1"));
    cluster.await(newBackup, "the new backup follows the journal",
        s -> s.backupFollowing() != null && s.backupFollowing().following(), T);
    JournalDigest.Result end = cluster.awaitDigestsMatchJournal(T);
    assertTrue(end.sequenceNr() > before.sequenceNr(), "the new manager journals its own changes");
    assertNotEquals(before.mapDigest(), end.mapDigest());
    Tool.Result status = Tool.run(T, "java", "-cp", System.getProperty("java.class.path"),
        "io.rackshare.node.RackshareCli", "status", "--url", cluster.mgmt.get(2)).ok();
    assertTrue(status.out().contains("manager " + JournalCluster.blade(backup)), status.out());
    Tool.Result digest = Tool.run(T, "java", "-cp", System.getProperty("java.class.path"),
        "io.rackshare.node.RackshareCli", "journal-digest", "--url", cluster.journalUrl, "--user", cluster.journalUser,
        "--password-file", cluster.journalPasswordFile.toString()).ok();
    assertTrue(digest.out().contains("digest=" + end.mapDigest()), digest.out());
    assertEquals(JournalCluster.sha256(cluster.bladeDir(2).resolve("disk0.img")), JournalCluster.sha256(cluster.bladeDir(3).resolve("disk0.img")),
        "copies identical");
  }
}
