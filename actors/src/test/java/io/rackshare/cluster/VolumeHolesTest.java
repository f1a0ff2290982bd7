package io.rackshare.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.testkit.TestBlades;
import io.rackshare.testkit.Tool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Holes in global volumes, end to end: a zeroed or trimmed range becomes holes in the member files
 * (fallocate PUNCH_HOLE) and reads as zeros; block status, asked through a blade that holds no
 * member, finds where the data is on the members' blades (lseek SEEK_DATA) for span and RAID-1;
 * nbdinfo, qemu-img and nbdcopy see the map; a zero with NO_HOLE stays allocated; a RAID-5 volume
 * refuses fast zero (its zeros cost parity writes). Three blades with 8 MiB disk files.
 */
class VolumeHolesTest {

  static final Duration T = Duration.ofSeconds(60);
  static final int MIB = 1 << 20;

  @TempDir static Path root;
  static TestBlades blades;

  @BeforeAll
  static void start() throws Exception {
    blades = new TestBlades(root, """
        rackshare.volumes = [
          { name = span, layout = span, members = ["Rack(1)/Chassis(1)/Blade(1)/Disk(0)",
              "Rack(1)/Chassis(1)/Blade(2)/Disk(0)"] }
          { name = mirror, layout = raid1, members = ["Rack(1)/Chassis(1)/Blade(1)/Disk(1)",
              "Rack(1)/Chassis(1)/Blade(2)/Disk(1)"] }
          { name = parity, layout = raid5, stripe-size = 16KiB, members = ["Rack(1)/Chassis(1)/Blade(1)/Disk(2)",
              "Rack(1)/Chassis(1)/Blade(2)/Disk(2)", "Rack(1)/Chassis(1)/Blade(3)/Disk(0)"] }
        ]
        rackshare.nbd { enabled = on, port = 0 }
        """);
    String three = "[{ file = disk0.img, size = 8MiB }, { file = disk1.img, size = 8MiB }, { file = disk2.img, size = 8MiB }]";
    blades.start(1, three);
    blades.start(2, three);
    blades.start(3, "[{ file = disk0.img, size = 8MiB }]");
    for (String v : List.of("span", "mirror", "parity")) {
      for (int slot = 1; slot <= 3; slot++) blades.rackshare(slot).awaitVolume(v, T).toCompletableFuture().get();
    }
  }

  @AfterAll
  static void stop() {
    blades.close();
  }

  static String uri(int slot, String volume) {
    return "nbd://127.0.0.1:" + blades.rackshare(slot).nbdServer().orElseThrow().tcpAddress().getPort() + "/" + volume;
  }

  /** nbdinfo's map as "offset length description" rows. */
  static List<String> map(int slot, String volume) {
    return Tool.run(T, "nbdinfo", "--map", uri(slot, volume)).ok().out().lines()
        .map(l -> l.trim().split("\\s+")).map(f -> f[0] + " " + f[1] + " " + f[3]).toList();
  }

  /** Blocks (512 bytes) the file system holds for a member file. */
  static long allocatedBlocks(int slot, String file) {
    return Long.parseLong(Tool.run(T, "stat", "-c", "%b", blades.dataDir(slot).resolve(file).toString()).ok().out().trim());
  }

  @Test
  void aSpanReportsItsDataOnEitherBladeAndTrimMakesHoles() {
    // 1 MiB on blade 1's member, 1 MiB on blade 2's (the span's second half starts at 8 MiB).
    Tool.run(T, "qemu-io", "-f", "raw", "-c", "write -P 0x11 2M 1M", "-c", "write -P 0x22 12M 1M", uri(3, "span")).ok();
    assertEquals(List.of("0 2097152 hole,zero", "2097152 1048576 data", "3145728 9437184 hole,zero",
        "12582912 1048576 data", "13631488 3145728 hole,zero"), map(3, "span"));
    long before = allocatedBlocks(2, "disk0.img");
    Tool.run(T, "qemu-io", "-f", "raw", "-c", "discard 12M 512k", "-c", "read -P 0 12M 512k",
        "-c", "read -P 0x22 12800k 512k", uri(1, "span")).ok();
    assertEquals(List.of("0 2097152 hole,zero", "2097152 1048576 data", "3145728 9961472 hole,zero",
        "13107200 524288 data", "13631488 3145728 hole,zero"), map(3, "span"));
    assertTrue(allocatedBlocks(2, "disk0.img") <= before - 1024, "the trimmed 512 KiB left blade 2's file: "
        + before + " -> " + allocatedBlocks(2, "disk0.img"));
  }

  @Test
  void aMirrorsMapAndItsCopyWithQemuImgSkipHoles() throws Exception {
    Tool.run(T, "qemu-io", "-f", "raw", "-c", "write -P 0x33 1M 256k", uri(1, "mirror")).ok();
    // WRITE_ZEROES without a hole: allocated, reading zeros.
    Tool.run(T, "qemu-io", "-f", "raw", "-c", "write -z 4M 256k", uri(2, "mirror")).ok();
    List<String> rows = map(3, "mirror");
    assertEquals(List.of("0 1048576 hole,zero", "1048576 262144 data", "1310720 2883584 hole,zero",
        "4194304 262144 data", "4456448 3932160 hole,zero"), rows);
    Path out = root.resolve("mirror-copy.img");
    Tool.run(T, "qemu-img", "convert", "-f", "raw", "-O", "raw", uri(3, "mirror"), out.toString()).ok();
    byte[] copy = Files.readAllBytes(out);
    for (int i = 0; i < copy.length; i++) {
      int expected = i >= MIB && i < MIB + 256 * 1024 ? 0x33 : 0;
      if ((copy[i] & 0xff) != expected) throw new AssertionError("byte " + i + " is " + copy[i]);
    }
    long blocks = Long.parseLong(Tool.run(T, "stat", "-c", "%b", out.toString()).ok().out().trim());
    assertTrue(blocks * 512 <= 2 * MIB, "the copy is sparse where the volume has holes: " + blocks * 512 + " bytes");
    // nbdcopy, with block status, gives the same bytes.
    Path out2 = root.resolve("mirror-nbdcopy.img");
    Tool.run(T, "nbdcopy", uri(2, "mirror"), out2.toString()).ok();
    assertTrue(java.util.Arrays.equals(copy, Files.readAllBytes(out2)), "nbdcopy's copy equals qemu-img's");
  }

  /** A mirror's zeros are holes punched: fast, unless the client wants them allocated (NO_HOLE). */
  @Test
  void aMirrorZeroesFastUnlessAskedForNoHole() {
    String script = """
        import nbd, sys
        h = nbd.NBD()
        h.connect_uri(sys.argv[1])
        assert h.can_fast_zero()
        h.pwrite(b"\\x55" * 65536, 7 << 20)
        h.zero(65536, 7 << 20, nbd.CMD_FLAG_FAST_ZERO)
        assert h.pread(65536, 7 << 20) == bytes(65536)
        try:
            h.zero(65536, 7 << 20, nbd.CMD_FLAG_FAST_ZERO | nbd.CMD_FLAG_NO_HOLE)
            raise SystemExit("a fast zero that must allocate was accepted")
        except nbd.Error as e:
            assert e.errno == "ENOTSUP", e.errno
        print("OK")
        """;
    assertTrue(Tool.run(T, "/usr/bin/python3", "-c", script, uri(1, "mirror")).ok().out().contains("OK"));
  }

  @Test
  void raid5ZerosAreNotFastButReadAsZeros() {
    String script = """
        import nbd, sys
        h = nbd.NBD()
        h.connect_uri(sys.argv[1])
        h.pwrite(b"\\x44" * 65536, 0)
        try:
            h.zero(65536, 0, nbd.CMD_FLAG_FAST_ZERO)
            raise SystemExit("raid5 accepted a fast zero")
        except nbd.Error as e:
            assert e.errno == "ENOTSUP", e.errno
        assert h.pread(4, 0) == b"\\x44" * 4
        h.zero(65536, 0)
        assert h.pread(65536, 0) == bytes(65536)
        print("OK")
        """;
    assertTrue(Tool.run(T, "/usr/bin/python3", "-c", script, uri(3, "parity")).ok().out().contains("OK"));
  }
}
