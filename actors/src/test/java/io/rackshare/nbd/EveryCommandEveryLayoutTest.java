package io.rackshare.nbd;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.rackshare.testkit.TestBlades;
import io.rackshare.testkit.Tool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every NBD command on a volume of every layout, with a real client (libnbd's Python binding).
 * Three blades with five 1 MiB disks each; every volume has a member on several blades, so
 * requests cross the OOB channel, and RAID-5 writes meet coordinators on each blade.
 */
class EveryCommandEveryLayoutTest {

  static final Duration T = Duration.ofSeconds(60);
  static final int MIB = 1 << 20;
  static final List<String> LAYOUTS = List.of("span", "raid0", "raid1", "raid10", "raid5");

  @TempDir static Path root;
  static TestBlades blades;

  @BeforeAll
  static void start() throws Exception {
    blades = new TestBlades(root, """
        rackshare.volumes = [
          { name = span, layout = span, members = ["Rack(1)/Chassis(1)/Blade(1)/Disk(0)",
              "Rack(1)/Chassis(1)/Blade(2)/Disk(0)", "Rack(1)/Chassis(1)/Blade(3)/Disk(0)"] }
          { name = raid0, layout = raid0, stripe-size = 16KiB, members = ["Rack(1)/Chassis(1)/Blade(1)/Disk(1)",
              "Rack(1)/Chassis(1)/Blade(2)/Disk(1)", "Rack(1)/Chassis(1)/Blade(3)/Disk(1)"] }
          { name = raid1, layout = raid1, members = ["Rack(1)/Chassis(1)/Blade(1)/Disk(2)",
              "Rack(1)/Chassis(1)/Blade(2)/Disk(2)"] }
          { name = raid10, layout = raid10, stripe-size = 16KiB, members = ["Rack(1)/Chassis(1)/Blade(3)/Disk(2)",
              "Rack(1)/Chassis(1)/Blade(1)/Disk(3)", "Rack(1)/Chassis(1)/Blade(2)/Disk(3)",
              "Rack(1)/Chassis(1)/Blade(3)/Disk(3)"] }
          { name = raid5, layout = raid5, stripe-size = 16KiB, members = ["Rack(1)/Chassis(1)/Blade(1)/Disk(4)",
              "Rack(1)/Chassis(1)/Blade(2)/Disk(4)", "Rack(1)/Chassis(1)/Blade(3)/Disk(4)"] }
        ]
        rackshare.nbd { enabled = on, port = 0 }
        """);
    StringBuilder disks = new StringBuilder("[");
    for (int i = 0; i < 5; i++) disks.append("{ file = disk").append(i).append(".img, size = 1MiB, block-size = 4096 }, ");
    String fiveDisks = disks.append("]").toString();
    for (int slot = 1; slot <= 3; slot++) blades.start(slot, fiveDisks);
    for (int slot = 1; slot <= 3; slot++) {
      for (String v : LAYOUTS) blades.rackshare(slot).awaitVolume(v, T).toCompletableFuture().get();
    }
  }

  @AfterAll
  static void stop() {
    blades.close();
  }

  static String uri(int slot, String volume) {
    return "nbd://127.0.0.1:" + blades.rackshare(slot).nbdServer().orElseThrow().tcpAddress().getPort() + "/" + volume;
  }

  /** Runs a libnbd script with {@code args}; unbuffered, so that one stopped at the time-out shows how far it got. */
  static Tool.Result python(String name, String script, Object... args) throws Exception {
    Path file = root.resolve(name + ".py");
    Files.writeString(file, script);
    List<String> command = new ArrayList<>(List.of("/usr/bin/python3", "-u", file.toString()));
    for (Object a : args) command.add(a.toString());
    return Tool.run(Duration.ofSeconds(30), Map.of(), command);
  }

  /** Runs {@code check} for every layout and reports the failures of all of them. */
  static void forEveryLayout(LayoutCheck check) {
    List<Executable> all = new ArrayList<>();
    for (int i = 0; i < LAYOUTS.size(); i++) {
      String v = LAYOUTS.get(i);
      int slot = i % 3 + 1;
      all.add(() -> {
        try {
          check.run(v, slot);
        } catch (AssertionError e) {
          throw new AssertionError(v + ": " + e.getMessage(), e);
        }
      });
    }
    assertAll(all);
  }

  interface LayoutCheck {
    void run(String volume, int slot) throws Exception;
  }

  /**
   * The client writes through one blade and reads the whole volume back through the next after
   * each command; its model of the volume must match byte for byte. TRIM is documented to zero.
   */
  static final String EVERY_COMMAND = """
      import nbd, random, sys
      a = nbd.NBD()
      a.connect_uri(sys.argv[1])
      b = nbd.NBD()
      b.connect_uri(sys.argv[2])
      for can in ("can_flush", "can_fua", "can_trim", "can_zero"):
          if not getattr(a, can)():
              print(can, "is false"); sys.exit(1)
      size = a.get_size()
      rng = random.Random(sys.argv[3])
      model = bytearray(rng.randbytes(size))
      def check(step):
          got = b.pread(size, 0)
          if got != model:
              i = next(i for i in range(size) if got[i] != model[i])
              print(f"after {step}: byte {i} reads {got[i]:#x}, expected {model[i]:#x}")
              sys.exit(1)
          print(step, "ok")
      def write(offset, data, flags=0):
          a.pwrite(data, offset, flags)
          model[offset:offset + len(data)] = data
      def zero(offset, n, cmd):
          cmd(n, offset)
          model[offset:offset + n] = bytes(n)
      third = size // 3
      write(0, bytes(model))
      check("write")
      write(third - 3000, rng.randbytes(70000), nbd.CMD_FLAG_FUA)
      check("fua-write")
      zero(2 * third - 5000, 3 * 16384 + 777, a.zero)
      check("write-zeroes")
      zero(12345, 999, lambda n, o: a.zero(n, o, nbd.CMD_FLAG_FUA | nbd.CMD_FLAG_NO_HOLE))
      check("write-zeroes-fua-no-hole")
      zero(third + 100000, 40000, a.trim)
      zero(size - 20000, 20000, a.trim)
      check("trim")
      write(2 * third - 1000, rng.randbytes(100))
      write(size - 1, b"\\xff")
      a.flush()
      check("flush")
      a.shutdown()
      b.shutdown()
      """;

  @Test
  void everyCommandThroughOneBladeReadsBackThroughAnother() {
    forEveryLayout((v, slot) -> {
      String out = python("every-command", EVERY_COMMAND, uri(slot, v), uri(slot % 3 + 1, v), v).ok().out();
      assertTrue(out.contains("flush ok"), out);
      assertMembersAgree(v);
    });
  }

  /** Mirror copies hold the same bytes; every RAID-5 stripe's chunks XOR to zero. */
  static void assertMembersAgree(String volume) throws Exception {
    switch (volume) {
      case "raid1" -> assertArrayEquals(disk(1, 2), disk(2, 2), "the two copies differ");
      case "raid10" -> {
        assertArrayEquals(disk(3, 2), disk(1, 3), "the copies of set 0 differ");
        assertArrayEquals(disk(2, 3), disk(3, 3), "the copies of set 1 differ");
      }
      case "raid5" -> {
        byte[] x = new byte[MIB];
        for (int slot = 1; slot <= 3; slot++) {
          byte[] d = disk(slot, 4);
          for (int i = 0; i < MIB; i++) x[i] ^= d[i];
        }
        for (int i = 0; i < MIB; i++) {
          if (x[i] != 0) fail("parity does not match the data at device byte " + i);
        }
      }
      default -> { }
    }
  }

  /** The member bytes of blade {@code slot}'s disk {@code index} (a sparse file may be shorter). */
  static byte[] disk(int slot, int index) throws Exception {
    return Arrays.copyOf(Files.readAllBytes(blades.dataDir(slot).resolve("disk" + index + ".img")), MIB);
  }
}
