package io.rackshare.nbd;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.rackshare.access.BlockDevice;
import io.rackshare.access.BlockDeviceException;
import io.rackshare.access.IoError;
import io.rackshare.testkit.TestBlades;
import io.rackshare.testkit.Tool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Every NBD command on a volume of every layout, with a real client (libnbd's Python binding),
 * and requests past the end of each, including offsets whose 64-bit sum with the length
 * overflows. Three blades with five 1 MiB disks each; every volume has a member on several
 * blades, so requests cross the OOB channel, and RAID-5 writes meet coordinators on each blade.
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
    for (int i = 0; i < 5; i++) {
      disks.append("{ file = disk").append(i).append(".img, size = 1MiB, block-size = 4096 }, ");
    }
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

  /**
   * Requests past the end, with libnbd's own checks off: at an offset whose sum with the length
   * overflows a signed 64-bit number, straddling the end, at 2^63 (negative as a Java long), at
   * the very top, and zeroes of almost 4 GiB (more than one int) whose end overflows. Each must
   * get its errno at once, and the connection must go on serving.
   */
  static final String PAST_THE_END = """
      import nbd, errno, sys, time
      h = nbd.NBD()
      h.set_strict_mode(0)
      h.connect_uri(sys.argv[1])
      size = h.get_size()
      h.pwrite(b"marker", 100)
      def err(f):
          t = time.monotonic()
          try:
              f()
              r = "ok"
          except nbd.Error as e:
              r = errno.errorcode.get(e.errno, str(e.errno))
          return r, time.monotonic() - t
      kib = (("read", lambda o, n: h.pread(n, o)), ("write", lambda o, n: h.pwrite(b"x" * n, o)),
             ("zero", lambda o, n: h.zero(n, o)), ("trim", lambda o, n: h.trim(n, o)))
      for name, off, n, cmds in (("overflow", 0x7ffffffffffffe00, 1024, kib), ("straddle", size - 512, 1024, kib),
                                 ("top-bit", 1 << 63, 1024, kib), ("top", (1 << 64) - 512, 1024, kib),
                                 ("overflow-4g", 0x7fffffff80000000, 0xfffff000, kib[2:])):
          for cmd, f in cmds:
              r, dt = err(lambda: f(off, n))
              print(f"{name} {cmd} {r} {dt:.3f}s")
              print(f"{name} {cmd} then", h.pread(6, 100).decode())
      h.shutdown()
      """;

  static final Pattern REPLY = Pattern.compile("(\\S+) (\\S+) (\\S+) ([0-9.]+)s");

  @Test
  void requestsPastTheEndGetTheirErrnoAtOnceAndTheConnectionGoesOn() {
    try (Logs logs = new Logs()) {
      forEveryLayout((v, slot) -> {
        Tool.Result r = python("past-the-end", PAST_THE_END, uri(slot, v));
        int replies = 0;
        for (String line : r.out().split("\n")) {
          Matcher m = REPLY.matcher(line);
          if (!m.matches()) continue;
          replies++;
          String expected = m.group(2).equals("read") ? "EINVAL" : "ENOSPC";
          assertEquals(expected, m.group(3), line + "\n" + r.out());
          assertTrue(Double.parseDouble(m.group(4)) < 5, "not at once: " + line);
          assertTrue(r.out().contains(m.group(1) + " " + m.group(2) + " then marker"), line + "\n" + r.out());
        }
        assertEquals(18, replies, r.out());
        r.ok();
      });
      logs.assertNoneWarnsOrHasAStackTrace();
    }
  }

  @Test
  void theBlockDeviceApiRejectsRangesPastTheEndWithoutThrowingOrHanging() {
    try (Logs logs = new Logs()) {
      forEveryLayout((v, slot) -> {
        BlockDevice d = blades.rackshare(slot).volume(v).orElseThrow();
        long size = d.size();
        long overflow = Long.MAX_VALUE - 511;
        byte[] kib = new byte[1024];
        assertFails(IoError.OUT_OF_RANGE, () -> d.read(overflow, 1024));
        assertFails(IoError.OUT_OF_RANGE, () -> d.write(overflow, kib));
        assertFails(IoError.OUT_OF_RANGE, () -> d.writeZeroes(overflow, 1024, false));
        assertFails(IoError.OUT_OF_RANGE, () -> d.read(size - 512, 1024));
        assertFails(IoError.OUT_OF_RANGE, () -> d.write(size - 512, kib, true));
        assertFails(IoError.OUT_OF_RANGE, () -> d.writeZeroes(size - 512, 1024, true));
        assertFails(IoError.INVALID, () -> d.read(Long.MIN_VALUE, 1024));
        assertFails(IoError.INVALID, () -> d.read(0, -1));
        assertFails(IoError.INVALID, () -> d.write(-1, kib));
        assertFails(IoError.INVALID, () -> d.writeZeroes(Long.MIN_VALUE + 10, 1024, false));
        assertFails(IoError.INVALID, () -> d.writeZeroes(0, -1, false));
        assertFails(IoError.OUT_OF_RANGE, () -> d.writeZeroes(1, Long.MAX_VALUE, false));
        assertFails(IoError.OUT_OF_RANGE, () -> d.writeZeroes(size, Long.MAX_VALUE, false));
        // Empty ranges up to the very end are fine, and the volume still serves.
        d.read(size, 0).toCompletableFuture().get(10, TimeUnit.SECONDS);
        d.writeZeroes(size, 0, false).toCompletableFuture().get(10, TimeUnit.SECONDS);
        d.write(size - 4, new byte[] {1, 2, 3, 4}).toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertArrayEquals(new byte[] {1, 2, 3, 4}, d.read(size - 4, 4).toCompletableFuture().get(10, TimeUnit.SECONDS));
      });
      logs.assertNoneWarnsOrHasAStackTrace();
    }
  }

  /** The request fails with {@code expected}, as its stage: not thrown, and within seconds. */
  static void assertFails(IoError expected, Supplier<CompletionStage<?>> request) throws Exception {
    CompletionStage<?> stage;
    try {
      stage = request.get();
    } catch (RuntimeException e) {
      throw new AssertionError("threw instead of failing the stage: " + e, e);
    }
    try {
      Object value = stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
      fail("succeeded (" + (value instanceof byte[] b ? b.length + " bytes" : value) + "), expected " + expected);
    } catch (TimeoutException e) {
      fail("no answer within 10 s, expected " + expected);
    } catch (ExecutionException e) {
      BlockDeviceException b = assertInstanceOf(BlockDeviceException.class, e.getCause());
      assertEquals(expected, b.error(), b.getMessage());
    }
  }

  /** What the runtime logs meanwhile: bad input is answered, not logged as a failure. */
  static final class Logs implements AutoCloseable {
    private final Logger rootLogger = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    Logs() {
      appender.start();
      rootLogger.addAppender(appender);
    }

    void assertNoneWarnsOrHasAStackTrace() {
      List<ILoggingEvent> events;
      synchronized (appender) {
        events = new ArrayList<>(appender.list);
      }
      for (ILoggingEvent e : events) {
        boolean ours = e.getLoggerName().startsWith("io.rackshare");
        if (e.getThrowableProxy() != null || (ours && e.getLevel().isGreaterOrEqual(Level.WARN))) {
          fail("logged: " + e.getLevel() + " " + e.getLoggerName() + " " + e.getFormattedMessage()
              + (e.getThrowableProxy() == null ? "" : " " + e.getThrowableProxy().getClassName()));
        }
      }
    }

    @Override
    public void close() {
      rootLogger.detachAppender(appender);
      appender.stop();
    }
  }
}
