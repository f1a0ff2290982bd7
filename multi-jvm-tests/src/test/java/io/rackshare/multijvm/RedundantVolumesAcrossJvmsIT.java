package io.rackshare.multijvm;

import io.rackshare.testkit.StatusPoller;
import io.rackshare.testkit.ReservedPorts;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.management.BladeStatus;
import io.rackshare.node.BladeProcess;
import io.rackshare.node.DemoCluster;
import io.rackshare.testkit.Tool;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The demo's cluster ({@link DemoCluster}) as real JVMs: four blades with four 32 MiB disks each
 * (one volume of every layout, hot spares for the redundant ones) and a fifth that shares no disk,
 * so that the cluster keeps its majority while three blades die. Real clients through NBD;
 * blades killed with SIGKILL; the disk files checked byte for byte.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedundantVolumesAcrossJvmsIT {

  static final Duration T = Duration.ofMinutes(3);
  static final int DISK_MIB = 32;
  static final int CHUNK = 64 * 1024;
  static final Pattern READY = Pattern.compile("RACKSHARE READY .* nbd=(\\S+) mgmt=(\\S+) .*");

  static Path dir;
  static ReservedPorts ports;
  static final List<BladeProcess> blades = new ArrayList<>();
  static final List<String> nbd = new ArrayList<>();
  static final List<String> mgmt = new ArrayList<>();

  @BeforeAll
  static void startBlades() throws Exception {
    dir = TestDirs.fresh(RedundantVolumesAcrossJvmsIT.class);
    ports = new ReservedPorts(5);
    int seed = ports.port(1);
    for (int slot = 1; slot <= 5; slot++) {
      Path d = dir.resolve("blade" + slot);
      blades.add(BladeProcess.start("blade" + slot, d, DemoCluster.node(slot, d, DISK_MIB,
          ports.release(slot), seed, 0, 0, "64MiB"), TestCa.get()));
    }
    for (BladeProcess b : blades) {
      Matcher m = READY.matcher(b.awaitLine("RACKSHARE READY", Duration.ofSeconds(120)));
      assertTrue(m.matches());
      nbd.add(m.group(1));
      mgmt.add(m.group(2));
    }
  }

  @AfterAll
  static void stopBlades() throws Exception {
    for (BladeProcess b : blades) b.close();
    if (ports != null) ports.close();
  }

  static String uri(int slot, String volume) {
    return nbd.get(slot - 1) + volume;
  }

  static byte[] disk(int slot, int index, long offset, int length) throws Exception {
    try (RandomAccessFile f = new RandomAccessFile(dir.resolve("blade" + slot).resolve("disk" + index + ".img").toFile(), "r")) {
      byte[] b = new byte[length];
      f.seek(offset);
      f.readFully(b);
      return b;
    }
  }

  static String sha256(int slot, int index) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    md.update(Files.readAllBytes(dir.resolve("blade" + slot).resolve("disk" + index + ".img")));
    return HexFormat.of().formatHex(md.digest());
  }

  static BladeStatus status(int slot) throws Exception {
    return StatusPoller.fetch(mgmt.get(slot - 1));
  }

  static BladeStatus.Volume volume(BladeStatus s, String name) {
    return s.volumes().stream().filter(v -> v.name().equals(name)).findFirst().orElseThrow();
  }

  /** Waits until blade {@code slot} reports {@code volume} in {@code health} with {@code devices}. */
  static void awaitVolume(int slot, String name, String health, List<String> devices) throws Exception {
    StatusPoller.await("blade " + slot, () -> status(slot), name + " " + health + " with " + devices, s -> {
      BladeStatus.Volume v = volume(s, name);
      return v.health().equals(health) && v.members().stream().map(BladeStatus.MemberStatus::device).toList().equals(devices);
    }, Duration.ofSeconds(90));
  }

  /** Waits until blade {@code slot} no longer counts blade {@code gone} among its peers. */
  static void awaitBladeGone(int slot, int gone) throws Exception {
    String blade = dev(gone, 0).replace("/Disk(0)", "");
    StatusPoller.await("blade " + slot, () -> status(slot), blade + " is no longer a peer",
        s -> !s.blades().contains(blade), Duration.ofSeconds(90));
  }

  static String dev(int slot, int index) {
    return "Rack(1)/Chassis(1)/Blade(" + slot + ")/Disk(" + index + ")";
  }

  /** Every RAID-5 stripe's chunks on these members XOR to zero. */
  static void assertParityIsConsistent(int[][] members) throws Exception {
    for (int s = 0; s < DISK_MIB * (1 << 20) / CHUNK; s++) {
      byte[] x = new byte[CHUNK];
      for (int[] m : members) {
        byte[] c = disk(m[0], m[1], (long) s * CHUNK, CHUNK);
        for (int i = 0; i < CHUNK; i++) x[i] ^= c[i];
      }
      for (byte b : x) assertEquals(0, b, "stripe " + s + " has bad parity");
    }
  }

  @Test
  @Order(1)
  void statusShowsEveryVolumeWithItsMembersAndSpares() throws Exception {
    BladeStatus s = status(3);
    assertEquals(dev(1, 0).replace("/Disk(0)", ""), s.manager());
    for (String name : DemoCluster.VOLUMES) assertEquals("OPTIMAL", volume(s, name).health(), name);
    assertEquals(List.of(dev(3, 1)), volume(s, "raid1").spares());
    assertEquals(2L * DISK_MIB << 20, volume(s, "raid5").sizeBytes(), "three disks, one of them parity");
    // The command line shows the same.
    Tool.Result r = Tool.run(T, "java", "-cp", System.getProperty("java.class.path"),
        "io.rackshare.node.RackshareCli", "status", "--url", mgmt.get(1)).ok();
    assertTrue(r.out().contains("raid10") && r.out().contains("spares: " + dev(4, 1)), r.out());
  }

  @Test
  @Order(2)
  void everyLayoutPassesAFioVerifyWorkload() {
    int slot = 1;
    for (String v : DemoCluster.VOLUMES) {
      // Each volume through another blade; random 4 KiB-64 KiB writes, every block verified.
      Tool.run(T, "fio", "--name=" + v, "--ioengine=nbd", "--uri=" + uri(slot, v), "--rw=randwrite",
          "--bsrange=4k-64k", "--iodepth=16", "--size=24M", "--verify=crc32c", "--verify_fatal=1",
          "--do_verify=1", "--verify_state_save=0").ok();
      slot = slot % 4 + 1;
    }
  }

  @Test
  @Order(3)
  void theDiskFilesShowWhereStripesAndParityLive() throws Exception {
    // raid0 (blades 3, 4; 64 KiB chunks): chunk 1 is the first chunk of blade 4's disk 0.
    Tool.run(T, "qemu-io", "-f", "raw", "-c", "write -P 0xa1 64k 64k", "-c", "flush", uri(2, "raid0")).ok();
    assertArrayEquals(filled(CHUNK, 0xa1), disk(4, 0, 0, CHUNK));
    // raid10 (sets of blades 1+2 and 3+4): chunk 3 is row 1 of blades 3 and 4's disk 3.
    Tool.run(T, "qemu-io", "-f", "raw", "-c", "write -P 0xb2 192k 64k", "-c", "flush", uri(1, "raid10")).ok();
    assertArrayEquals(filled(CHUNK, 0xb2), disk(3, 3, CHUNK, CHUNK));
    assertArrayEquals(filled(CHUNK, 0xb2), disk(4, 3, CHUNK, CHUNK));
    // raid5 (blades 1-3): stripe 0 keeps data on blades 1 and 2 and parity on blade 3.
    Tool.run(T, "qemu-io", "-f", "raw", "-c", "write -P 0x11 0 64k", "-c", "write -P 0x22 64k 64k", "-c", "flush",
        uri(4, "raid5")).ok();
    assertArrayEquals(filled(CHUNK, 0x11), disk(1, 2, 0, CHUNK));
    assertArrayEquals(filled(CHUNK, 0x22), disk(2, 2, 0, CHUNK));
    assertArrayEquals(filled(CHUNK, 0x33), disk(3, 2, 0, CHUNK), "parity = 0x11 ^ 0x22");
    assertParityIsConsistent(new int[][] {{1, 2}, {2, 2}, {3, 2}});
    // raid1: both copies identical.
    assertEquals(sha256(1, 1), sha256(2, 1));
  }

  @Test
  @Order(4)
  void anOperatorFailsAMirrorCopyAndTheHotSpareIsRebuiltFromTheOther() throws Exception {
    String before = sha256(1, 1);
    Tool.Result r = Tool.run(T, "java", "-cp", System.getProperty("java.class.path"), "io.rackshare.node.RackshareCli",
        "fail", "--url", mgmt.get(3), "--volume", "raid1", "--device", dev(2, 1)).ok();
    assertTrue(r.out().contains("\"epoch\""), r.out());
    awaitVolume(4, "raid1", "OPTIMAL", List.of(dev(1, 1), dev(3, 1)));
    assertEquals(before, sha256(3, 1), "the spare holds what the surviving copy holds");
    assertEquals(before, sha256(1, 1));
    Tool.Result bad = Tool.run(T, "java", "-cp", System.getProperty("java.class.path"), "io.rackshare.node.RackshareCli",
        "fail", "--url", mgmt.get(3), "--volume", "raid1", "--device", dev(4, 3));
    assertEquals(2, bad.exit());
    assertTrue(bad.out().contains("is not a member of 'raid1'"), bad.out());
  }

  @Test
  @Order(5)
  void aBladeKilledDuringVerifiedWritesLosesNoAcknowledgedWriteAndTheSparesAreRebuilt() throws Exception {
    Path state = dir.resolve("fio-kill");
    Files.createDirectories(state);
    // Rate-limited so that the kill surely lands in the middle of the writes.
    List<String> fio = List.of("fio", "--ioengine=nbd", "--rw=randwrite", "--bs=16k", "--iodepth=8", "--size=24M",
        "--rate=6m", "--verify=crc32c", "--verify_fatal=1", "--do_verify=0", "--verify_state_save=1",
        "--name=raid1", "--uri=" + uri(1, "raid1"), "--name=raid5", "--uri=" + uri(1, "raid5"),
        "--name=raid10", "--uri=" + uri(1, "raid10"));
    Process writes = new ProcessBuilder(fio).directory(state.toFile()).redirectErrorStream(true)
        .redirectOutput(state.resolve("write.log").toFile()).start();
    assertTrue(!writes.waitFor(1500, TimeUnit.MILLISECONDS), "fio still writes when the blade dies");
    blades.get(1).kill();
    assertTrue(writes.waitFor(3, TimeUnit.MINUTES), "fio finished");
    assertEquals(0, writes.exitValue(), "no client error: " + Files.readString(state.resolve("write.log")));

    // Every acknowledged write reads back right, through another blade.
    List<String> verify = new ArrayList<>(fio.stream().map(a -> a.replace(uri(1, ""), uri(3, ""))).toList());
    verify.removeAll(List.of("--do_verify=0", "--verify_state_save=1"));
    verify.addAll(List.of("--verify_only", "--verify_state_load=1"));
    Tool.run(T, Map.of(), verify, state).ok();

    // The spares take the dead blade's places and are rebuilt; the copies match byte for byte.
    awaitVolume(1, "raid1", "OPTIMAL", List.of(dev(1, 1), dev(3, 1)));
    awaitVolume(1, "raid5", "OPTIMAL", List.of(dev(1, 2), dev(4, 2), dev(3, 2)));
    awaitVolume(1, "raid10", "OPTIMAL", List.of(dev(1, 3), dev(4, 1), dev(3, 3), dev(4, 3)));
    assertEquals(sha256(1, 1), sha256(3, 1), "raid1 copies");
    assertEquals(sha256(1, 3), sha256(4, 1), "raid10 first set");
    assertEquals(sha256(3, 3), sha256(4, 3), "raid10 second set");
    assertParityIsConsistent(new int[][] {{1, 2}, {4, 2}, {3, 2}});
    // span lost its second disk and says so; it is not silently serving half a volume.
    awaitVolume(1, "span", "FAILED", List.of(dev(1, 0), dev(2, 0)));
    assertReadFails(uri(1, "span"));
  }

  @Test
  @Order(6)
  void aDoubleFailureIsAClearErrorAndNeverWrongData() throws Exception {
    Path state = dir.resolve("fio-kill");
    // raid5 is on blades 1, 4 and 3 now; kill 3 and 4: two members gone. One at a time, so that
    // the surviving blades (1 and 5) stay a majority of the cluster.
    blades.get(2).kill();
    awaitBladeGone(1, 3);
    awaitVolume(1, "raid5", "DEGRADED", List.of(dev(1, 2), dev(4, 2), dev(3, 2)));
    blades.get(3).kill();
    awaitBladeGone(1, 4);
    awaitVolume(1, "raid5", "FAILED", List.of(dev(1, 2), dev(4, 2), dev(3, 2)));
    assertReadFails(uri(1, "raid5"));
    String log = String.join("\n", blades.get(0).lines());
    assertTrue(log.contains("volume 'raid5' has failed"), "the blade says why");
    // The mirror still has blade 1's copy, and it holds every acknowledged write.
    List<String> verify = List.of("fio", "--ioengine=nbd", "--rw=randwrite", "--bs=16k", "--iodepth=8",
        "--size=24M", "--verify=crc32c", "--verify_fatal=1", "--verify_only", "--verify_state_load=1",
        "--name=raid1", "--uri=" + uri(1, "raid1"));
    Tool.run(T, Map.of(), verify, state).ok();
  }

  /** qemu-io's read of the first 4 KiB fails with an I/O error rather than returning bytes. */
  static void assertReadFails(String uri) {
    Tool.Result read = Tool.run(T, "qemu-io", "-f", "raw", "-c", "read 0 4k", uri);
    assertFalse(read.out().contains("read 4096/4096 bytes"), read.out());
    assertTrue(read.out().contains("Input/output error"), read.out());
  }

  static byte[] filled(int n, int value) {
    byte[] b = new byte[n];
    java.util.Arrays.fill(b, (byte) value);
    return b;
  }
}
