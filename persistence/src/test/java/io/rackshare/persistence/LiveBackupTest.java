package io.rackshare.persistence;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rackshare.access.BlockDevice;
import io.rackshare.management.BladeStatus;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.testkit.TestBlades;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The live backup on an H2 journal: the next candidate follows the manager's events as they are
 * written and keeps a snapshot of them, so that when the manager's blade goes the new manager
 * replays no history; a new backup is nominated; status names both, on every blade.
 */
class LiveBackupTest {

  static final String CONFIG = """
      rackshare.volumes = [{ name = m, layout = raid1, members = ["Rack(1)/Chassis(1)/Blade(2)/Disk(0)",
        "Rack(1)/Chassis(1)/Blade(3)/Disk(0)"], spares = ["Rack(1)/Chassis(1)/Blade(3)/Disk(1)"] }]
      rackshare.manager.backup-snapshot-interval = 300ms
      """;
  static final String DISKS = "[{ file = \"disk0.img\", size = 1MiB, block-size = 4096 },"
      + " { file = \"disk1.img\", size = 1MiB, block-size = 4096 }]";

  @org.junit.jupiter.api.io.TempDir Path root;
  JournalServer server;
  TestBlades blades;

  @AfterEach
  void stop() {
    if (blades != null) blades.close();
    if (server != null) server.close();
  }

  Config journal(Config c) {
    return Journals.apply(ConfigFactory.parseString("""
        rackshare.%s
        """.formatted(server.hocon())).withFallback(c));
  }

  BladeStatus status(int slot) throws Exception {
    return blades.rackshare(slot).status().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  void await(int slot, String what, java.util.function.Predicate<BladeStatus> p) {
    TestProbe<Object> probe = blades.kit(slot).createTestProbe();
    probe.awaitAssert(Duration.ofSeconds(60), Duration.ofMillis(200), () -> {
      BladeStatus s;
      try {
        s = status(slot);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      assertTrue(p.test(s), "blade " + slot + ": " + what + "; status: manager " + s.manager() + ", backup "
          + s.backup() + ", recovery " + s.managerRecovery() + ", following " + s.backupFollowing());
      return null;
    });
  }

  static String blade(int slot) {
    return new BladeId(1, 1, slot).toString();
  }

  @ParameterizedTest
  @ValueSource(strings = {"first-in", "lowest-slot"})
  void theBackupFollowsAndTheTakeoverReplaysNoHistory(String policy) throws Exception {
    server = JournalServer.start(root.resolve("journal"), 0);
    ActorTestKit prep = ActorTestKit.create("prep", journal(ConfigFactory.load()));
    Journals.prepare(prep.system(), Duration.ofSeconds(30));
    prep.shutdownTestKit();

    blades = new TestBlades(root, CONFIG + "rackshare.manager.nomination = " + policy + "\n")
        .finishingConfigWith(this::journal);
    blades.start(1, "[]");
    blades.start(2, DISKS);
    blades.start(3, DISKS);
    for (int slot : new int[] {1, 2, 3}) {
      await(slot, "manager on blade 1, backup on blade 2",
          s -> s.manager().equals(blade(1)) && s.backup().equals(blade(2)) && s.nomination().equals(policy)
              && s.bladeDetails().size() == 3 && s.bladeDetails().stream().allMatch(b -> b.state().equals("Up")));
    }
    BladeStatus onManager = status(1);
    assertNotNull(onManager.managerRecovery(), "the manager's blade reports its recovery");
    assertTrue(onManager.managerAddress().startsWith("pekko://"), onManager.managerAddress());
    assertEquals(2, onManager.bladeDetails().stream().filter(b -> b.blade().equals(blade(3))).findFirst()
        .orElseThrow().resources().size(), "blade 3's two disks are listed");

    BlockDevice v = blades.rackshare(1).awaitVolume("m", Duration.ofSeconds(30)).toCompletableFuture().get();
    byte[] data = new byte[256 * 1024];
    new Random(5).nextBytes(data);
    v.write(0, data, true).toCompletableFuture().get(30, TimeUnit.SECONDS);
    // A change while the backup follows: the spare replaces a failed member.
    blades.rackshare(1).failMember("m", DevicePath.disk(new BladeId(1, 1, 3), 0)).toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
    await(1, "the spare is rebuilt", s -> s.volumes().get(0).health().equals("OPTIMAL")
        && s.volumes().get(0).members().stream().allMatch(m -> m.state().equals("ACTIVE")));
    long epoch = blades.rackshare(1).localMap().epoch();
    long journaled = JournalDigest.read(server.url(), server.user(), server.password(), Duration.ofSeconds(30)).sequenceNr();
    await(2, "the backup has folded and snapshotted every event in the journal (" + journaled + ")",
        s -> s.backupFollowing() != null && s.backupFollowing().following()
            && s.backupFollowing().snapshotSequenceNr() == journaled && s.mapEpoch() >= epoch);
    long followed = status(2).backupFollowing().sequenceNr();

    blades.stop(1);
    for (int slot : new int[] {2, 3}) {
      await(slot, "manager on blade 2, backup on blade 3",
          s -> s.manager().equals(blade(2)) && s.backup().equals(blade(3)));
    }
    await(2, "the new manager recovered", s -> s.managerRecovery() != null);
    BladeStatus taken = status(2);
    assertEquals(0, taken.managerRecovery().replayedEvents(),
        "recovery replays only the tail after the backup's snapshot: " + taken.managerRecovery());
    assertTrue(taken.managerRecovery().sequenceNr() >= followed, taken.managerRecovery().toString());
    await(3, "the new backup follows", s -> s.backupFollowing() != null && s.backupFollowing().following()
        && s.backupFollowing().sequenceNr() >= followed);
    await(3, "every blade has the manager's map", s -> {
      try {
        return s.mapDigest().equals(status(2).mapDigest()) && s.mapEpoch() >= epoch;
      } catch (Exception e) {
        return false;
      }
    });
    await(2, "the new manager's map is the journal's", s -> {
      try {
        return s.mapDigest().equals(JournalDigest.read(server.url(), server.user(), server.password(), Duration.ofSeconds(30)).mapDigest());
      } catch (Exception e) {
        return false;
      }
    });
    assertArrayEquals(data, blades.rackshare(3).awaitVolume("m", Duration.ofSeconds(30)).toCompletableFuture().get()
        .read(0, data.length).toCompletableFuture().get(30, TimeUnit.SECONDS));
  }
}
