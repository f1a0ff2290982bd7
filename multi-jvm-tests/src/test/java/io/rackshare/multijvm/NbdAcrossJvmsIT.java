package io.rackshare.multijvm;

import io.rackshare.testkit.ReservedPorts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.node.BladeProcess;
import io.rackshare.testkit.Tool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Four blades as real JVMs: blades 1-3 each share a 64 MiB disk file spanned into volume {@code
 * v0}; blade 4 shares nothing. Real clients use the NBD exports of different blades.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NbdAcrossJvmsIT {

  static final Duration T = Duration.ofMinutes(3);
  static final long SIZE = 3L * 64 * 1024 * 1024;
  static final Pattern READY = Pattern.compile("RACKSHARE READY .* nbd=(\\S+) mgmt=(\\S+) .*");

  static Path dir;
  static ReservedPorts ports;
  static final List<BladeProcess> blades = new ArrayList<>();
  static final List<String> uris = new ArrayList<>();
  static final List<String> mgmt = new ArrayList<>();

  @BeforeAll
  static void startBlades() throws Exception {
    dir = TestDirs.fresh(NbdAcrossJvmsIT.class);
    ports = new ReservedPorts(4);
    int seed = ports.port(1);
    for (int slot = 1; slot <= 4; slot++) {
      Path d = dir.resolve("blade" + slot);
      // Disk(1) of blades 1-3 is in no volume: the pool.
      String disks = slot <= 3 ? "[{ file = disk0.img, size = 64MiB }, { file = disk1.img, size = 64MiB }]" : "[]";
      blades.add(BladeProcess.start("blade" + slot, d, """
          rackshare {
            blade { slot = %d, data-dir = "%s", disks = %s }
            oob { hostname = "127.0.0.1", port = %d }
            seed-nodes = ["127.0.0.1:%d"]
            nbd.port = 0
            management.port = 0
            volumes = [{ name = v0, members = ["Rack(1)/Chassis(1)/Blade(1)/Disk(0)",
              "Rack(1)/Chassis(1)/Blade(2)/Disk(0)", "Rack(1)/Chassis(1)/Blade(3)/Disk(0)"] }]
          }
          """.formatted(slot, d, disks, ports.release(slot), seed), TestCa.get()));
    }
    for (BladeProcess b : blades) {
      Matcher m = READY.matcher(b.awaitLine("RACKSHARE READY", Duration.ofSeconds(120)));
      assertTrue(m.matches());
      uris.add(m.group(1) + "v0");
      mgmt.add(m.group(2));
    }
  }

  @AfterAll
  static void stopBlades() throws Exception {
    for (BladeProcess b : blades) b.close();
    if (ports != null) ports.close();
  }

  static String uri(int slot) {
    return uris.get(slot - 1);
  }

  @Test
  @Order(1)
  void nbdinfoListsTheExportWithTheRightSizeOnEveryBlade() {
    for (int slot = 1; slot <= 4; slot++) {
      String out = Tool.run(T, "nbdinfo", "--list", uri(slot).replace("/v0", "/")).ok().out();
      assertTrue(out.contains("export=\"v0\"") && out.contains("export-size: " + SIZE), out);
    }
  }

  @Test
  @Order(2)
  void aPatternWrittenWithQemuIoThroughOneBladeReadsBackThroughAnother() {
    // 3 MiB across the boundary between blade 1's and blade 2's disks.
    Tool.run(T, "qemu-io", "-f", "raw", "-c", "write -P 0xc3 63M 3M", "-c", "flush", uri(1)).ok();
    Tool.run(T, "qemu-io", "-f", "raw", "-c", "read -P 0xc3 63M 3M", uri(3)).ok();
    Tool.run(T, "qemu-io", "-f", "raw", "-c", "read -P 0xc3 63M 3M", uri(4)).ok();
  }

  @Test
  @Order(3)
  void nbdcopyRoundTripGivesTheSameChecksumThroughTwoBlades() throws Exception {
    Path src = dir.resolve("random.bin");
    byte[] data = new byte[(int) SIZE];
    new Random(11).nextBytes(data);
    Files.write(src, data);
    Tool.run(T, "nbdcopy", src.toString(), uri(2)).ok();
    Path back = dir.resolve("back.bin");
    Tool.run(T, "nbdcopy", uri(4), back.toString()).ok();
    assertEquals(sha256(src), sha256(back));
  }

  @Test
  @Order(4)
  void fioVerifyWithTheNbdEnginePasses() {
    Tool.run(T, "fio", "--name=verify", "--ioengine=nbd", "--uri=" + uri(3), "--rw=randwrite",
        "--bs=4k", "--iodepth=16", "--size=32M", "--offset=60M", "--verify=crc32c",
        "--verify_fatal=1", "--do_verify=1", "--verify_state_save=0").ok();
  }

  @Test
  @Order(5)
  void anExt4FilesystemOnTheVolumeWorksAndChecksClean() throws Exception {
    Path mnt = dir.resolve("fuse");
    Path files = dir.resolve("files");
    Files.createDirectories(files);
    for (int i = 0; i < 20; i++) {
      byte[] b = new byte[100_000 + i * 37_000];
      new Random(i).nextBytes(b);
      Files.write(files.resolve("f" + i + ".bin"), b);
    }
    String script = """
        set -euo pipefail
        mkdir -p "$MNT" "$MNT.dir"
        nbdfuse "$MNT" "$URI" &
        for i in $(seq 100); do [ -e "$MNT/nbd" ] && break; sleep 0.1; done
        dev=$(losetup -f --show "$MNT/nbd")
        cleanup() { umount "$MNT.dir" 2>/dev/null || true; losetup -d "$dev" 2>/dev/null || true; fusermount3 -u "$MNT" 2>/dev/null || true; }
        trap cleanup EXIT
        mkfs.ext4 -q -F "$dev"
        mount "$dev" "$MNT.dir"
        cp -r "$FILES" "$MNT.dir/"
        sync
        (cd "$FILES" && sha256sum *) > "$MNT.sums"
        umount "$MNT.dir"
        e2fsck -fn "$dev"
        mount "$dev" "$MNT.dir"
        (cd "$MNT.dir/files" && sha256sum -c "$MNT.sums")
        echo EXT4-OK
        """;
    Tool.Result r = Tool.run(T, Map.of("MNT", mnt.toString(), "URI", uri(2), "FILES", files.toString()),
        List.of("bash", "-c", script));
    assertEquals(0, r.exit(), r.out());
    assertTrue(r.out().contains("EXT4-OK"), r.out());
    assertFalse(r.out().contains("FAILED"), r.out());
  }

  @Test
  @Order(6)
  void killingABladeWithoutExtentsChangesNothingForClients() throws Exception {
    // fio verifies through blade 1 while blade 4 (no extents) dies without a word.
    Path state = dir.resolve("fio");
    Files.createDirectories(state);
    ProcessBuilder pb = new ProcessBuilder("fio", "--name=during-kill", "--ioengine=nbd", "--uri=" + uri(1),
        "--rw=randwrite", "--bs=64k", "--iodepth=8", "--size=48M", "--offset=100M", "--verify=crc32c",
        "--verify_fatal=1", "--do_verify=1", "--time_based=0", "--loops=3")
        .directory(state.toFile()).redirectErrorStream(true).redirectOutput(state.resolve("fio.log").toFile());
    Process fio = pb.start();
    BladeProcess four = blades.get(3);
    four.kill();
    assertFalse(four.isAlive());
    assertTrue(fio.waitFor(3, java.util.concurrent.TimeUnit.MINUTES), "fio finished");
    assertEquals(0, fio.exitValue(), Files.readString(state.resolve("fio.log")));
    // The survivors still serve, through other blades too.
    Tool.run(T, "qemu-io", "-f", "raw", "-c", "write -P 0x4d 127M 2M", uri(2)).ok();
    Tool.run(T, "qemu-io", "-f", "raw", "-c", "read -P 0x4d 127M 2M", uri(3)).ok();
  }

  static String sha256(Path p) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    md.update(Files.readAllBytes(p));
    return HexFormat.of().formatHex(md.digest());
  }

  /**
   * Issue 15: a 3-copy volume created by size with the command line (its own JVM) on blade 1's
   * management endpoint lands on the pool disks of blades 1-3, and fio verifies through blade 2's
   * NBD export, which lists it once its parts are zeroed.
   */
  @Test
  @Order(7)
  void aVolumeCreatedBySizeWithTheCommandLineServesFioVerifyThroughAnotherBlade() throws Exception {
    Tool.Result made = Tool.run(T, Map.of(), List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "io.rackshare.node.RackshareCli", "volume", "create",
        "--url", mgmt.get(0), "--name", "pooled", "--layout", "raid1",
        "--size", "24M", "--copies", "3")).ok();
    for (int slot = 1; slot <= 3; slot++) {
      assertTrue(made.out().contains("Rack(1)/Chassis(1)/Blade(" + slot + ")/Part(0)  on Rack(1)/Chassis(1)/Blade("
          + slot + ")/Disk(1)"), made.out());
    }
    String pooled = uri(2).replace("/v0", "/pooled");
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!Tool.run(T, "nbdinfo", "--list", uri(2).replace("/v0", "/")).out().contains("export=\"pooled\"")) {
      assertTrue(System.nanoTime() < deadline, "blade 2 exports the new volume");
      Thread.sleep(200); // polling another process's view: there is nothing to await on
    }
    assertTrue(Tool.run(T, "nbdinfo", pooled).ok().out().contains("export-size: " + (24L << 20)));
    Tool.run(T, "fio", "--name=pooled", "--ioengine=nbd", "--uri=" + pooled, "--rw=randwrite", "--bs=4k",
        "--iodepth=16", "--size=24M", "--verify=crc32c", "--verify_fatal=1", "--do_verify=1",
        "--verify_state_save=0").ok();
    Tool.run(T, "qemu-io", "-f", "raw", "-c", "write -P 0x3d 20M 4M", "-c", "flush", uri(3).replace("/v0", "/pooled")).ok();
    Tool.run(T, "qemu-io", "-f", "raw", "-c", "read -P 0x3d 20M 4M", pooled).ok();
  }

  /**
   * Issue 15: the volume grows with the command line while fio writes and verifies it through
   * blade 3: fio sees no error, and a new connection sees the new size, its new blocks zeros.
   */
  @Test
  @Order(8)
  void theVolumeGrowsWithTheCommandLineWhileFioVerifiesIt() throws Exception {
    String pooled = uri(3).replace("/v0", "/pooled");
    Path state = dir.resolve("fio-grow");
    Files.createDirectories(state);
    Process fio = new ProcessBuilder("fio", "--name=during-grow", "--ioengine=nbd", "--uri=" + pooled, "--rw=randwrite",
        "--bs=4k", "--iodepth=8", "--size=8M", "--loops=10", "--verify=crc32c", "--verify_fatal=1",
        "--do_verify=1", "--verify_state_save=0")
        .directory(state.toFile()).redirectErrorStream(true).redirectOutput(state.resolve("fio.log").toFile()).start();
    Tool.Result grown = Tool.run(T, Map.of(), List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "io.rackshare.node.RackshareCli", "volume", "grow",
        "--url", mgmt.get(1), "--name", "pooled", "--size", "48M")).ok();
    assertTrue(grown.out().contains("volume pooled: raid1, 48 MiB"), grown.out());
    assertTrue(fio.isAlive(), "the volume grew while fio was still writing");
    assertTrue(fio.waitFor(2, java.util.concurrent.TimeUnit.MINUTES), "fio finished");
    assertEquals(0, fio.exitValue(), Files.readString(state.resolve("fio.log")));
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!Tool.run(T, "nbdinfo", pooled).out().contains("export-size: " + (48L << 20))) {
      assertTrue(System.nanoTime() < deadline, "blade 3 serves the new size");
      Thread.sleep(200); // polling another process's view: there is nothing to await on
    }
    Tool.run(T, "qemu-io", "-f", "raw", "-c", "read -P 0 24M 24M", "-c", "write -P 0x4a 40M 8M", pooled).ok();
    Tool.run(T, "qemu-io", "-f", "raw", "-c", "read -P 0x4a 40M 8M", "-c", "read -P 0x3d 20M 4M",
        uri(1).replace("/v0", "/pooled")).ok();
  }
}
