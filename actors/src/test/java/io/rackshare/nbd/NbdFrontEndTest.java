package io.rackshare.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.testkit.TestBlades;
import io.rackshare.testkit.Tool;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every blade exports every volume over NBD; real clients (libnbd's tools, qemu-io) use them. The
 * volume spans three blades of an in-JVM cluster, so requests cross the OOB channel.
 */
class NbdFrontEndTest {

  static final Duration T = Duration.ofSeconds(60);
  static final long SIZE = 3L * 4 * 1024 * 1024;

  @TempDir static Path root;
  static TestBlades blades;

  @BeforeAll
  static void start() throws Exception {
    blades = new TestBlades(root, """
        rackshare.volumes = [{ name = v0, members = ["Rack(1)/Chassis(1)/Blade(1)/Disk(0)",
          "Rack(1)/Chassis(1)/Blade(2)/Disk(0)", "Rack(1)/Chassis(1)/Blade(3)/Disk(0)"] }]
        rackshare.nbd { enabled = on, port = 0 }
        """);
    for (int slot = 1; slot <= 3; slot++) {
      blades.start(slot, "[{ file = disk0.img, size = 4MiB }]",
          slot == 2 ? "rackshare.nbd.unix-socket = \"" + root.resolve("blade2.sock") + "\"" : "");
    }
    for (int slot = 1; slot <= 3; slot++) {
      blades.rackshare(slot).awaitVolume("v0", T).toCompletableFuture().get();
    }
  }

  @AfterAll
  static void stop() {
    blades.close();
  }

  static int port(int slot) {
    return blades.rackshare(slot).nbdServer().orElseThrow().tcpAddress().getPort();
  }

  static String uri(int slot) {
    return "nbd://127.0.0.1:" + port(slot) + "/v0";
  }

  @Test
  void nbdinfoListsTheExportWithItsSizeAndBlockSizes() {
    String list = Tool.run(T, "nbdinfo", "--list", "nbd://127.0.0.1:" + port(2)).ok().out();
    assertTrue(list.contains("export=\"v0\""), list);
    assertTrue(list.contains("export-size: " + SIZE), list);
    String info = Tool.run(T, "nbdinfo", uri(3)).ok().out();
    assertTrue(info.contains("block_size_minimum: 1"), info);
    assertTrue(info.contains("block_size_preferred: 4096"), info);
    assertTrue(info.contains("block_size_maximum: 33554432"), info);
    for (String flag : List.of("can_flush: true", "can_fua: true", "can_trim: true", "can_zero: true",
        "can_multi_conn: true", "is_read_only: false")) {
      assertTrue(info.contains(flag), flag + " in\n" + info);
    }
    // The only export is also the default one.
    assertTrue(Tool.run(T, "nbdinfo", "--size", "nbd://127.0.0.1:" + port(1)).ok().out().contains(Long.toString(SIZE)));
  }

  @Test
  void theExportIsAlsoOnAUnixSocket() {
    String socket = blades.rackshare(2).nbdServer().orElseThrow().unixPath().orElseThrow().toString();
    String unixUri = "nbd+unix:///v0?socket=" + socket;
    Tool.run(T, "qemu-io", "-f", "raw", "-c", "write -P 0x77 5M 128k", "nbd:unix:" + socket + ":exportname=v0").ok();
    Tool.run(T, "qemu-io", "-f", "raw", "-c", "read -P 0x77 5M 128k", uri(1)).ok();
    assertTrue(Tool.run(T, "nbdinfo", "--size", unixUri).ok().out().contains(Long.toString(SIZE)));
  }

  @Test
  void anUnknownExportIsRefusedByName() {
    Tool.Result r = Tool.run(T, "nbdinfo", "nbd://127.0.0.1:" + port(1) + "/nope");
    assertTrue(r.exit() != 0, r.out());
    // NBD_REP_ERR_UNKNOWN, which libnbd renders as ENOENT for that export.
    assertTrue(r.out().contains("No such file or directory for export: nope"), r.out());
  }

  @Test
  void qemuIoWritesThroughOneBladeAndReadsThroughAnother() {
    // 1 MiB across the boundary of blade 1's and blade 2's disks, with FUA, and zeroes across blade 2/3.
    Tool.run(T, "qemu-io", "-f", "raw", "-c", "write -P 0x5a -f 3584k 1M", "-c", "write -z 8000k 400k",
        "-c", "flush", uri(1)).ok();
    Tool.run(T, "qemu-io", "-f", "raw", "-c", "read -P 0x5a 3584k 1M", "-c", "read -P 0 8000k 400k", uri(2)).ok();
    Tool.Result wrong = Tool.run(T, "qemu-io", "-f", "raw", "-c", "read -P 0x5b 3584k 1M", uri(3));
    assertTrue(wrong.out().contains("Pattern verification failed"), wrong.out());
  }

  @Test
  void nbdcopyRoundTripGivesTheSameBytesThroughTwoBlades() throws Exception {
    Path src = root.resolve("src.bin");
    byte[] data = new byte[(int) SIZE];
    new java.util.Random(7).nextBytes(data);
    Files.write(src, data);
    Tool.run(T, "nbdcopy", src.toString(), uri(3)).ok();
    Path back = root.resolve("back.bin");
    Tool.run(T, "nbdcopy", uri(2), back.toString()).ok();
    assertTrue(java.util.Arrays.equals(data, Files.readAllBytes(back)), "nbdcopy round trip differs");
  }

  /** libnbd in non-strict mode sends what a well-behaved client would not. */
  @Test
  void outOfRangeAndOversizedRequestsGetProtocolErrorsAndTheConnectionStaysUsable() {
    String script = """
        import nbd, errno
        h = nbd.NBD()
        h.set_strict_mode(0)
        h.connect_uri("%s")
        size = h.get_size()
        def err(f):
            try:
                f()
                return "ok"
            except nbd.Error as e:
                return errno.errorcode.get(e.errno, e.errno)
        print("read-past-end", err(lambda: h.pread(4096, size - 100)))
        print("write-past-end", err(lambda: h.pwrite(b"x" * 4096, size - 100)))
        print("zero-past-end", err(lambda: h.zero(8192, size - 4096)))
        print("read-too-big", err(lambda: h.pread(64 * 1024 * 1024, 0)))
        print("write-too-big", err(lambda: h.pwrite(b"y" * (33 * 1024 * 1024), 0)))
        h.pwrite(b"still-usable", 12345)
        print("after", h.pread(12, 12345).decode())
        h.shutdown()
        """.formatted(uri(2));
    String out = Tool.run(T, Map.of(), List.of("/usr/bin/python3", "-c", script)).ok().out();
    assertTrue(out.contains("read-past-end EINVAL"), out);
    assertTrue(out.contains("write-past-end ENOSPC"), out);
    assertTrue(out.contains("zero-past-end ENOSPC"), out);
    assertTrue(out.contains("read-too-big EINVAL"), out);
    assertTrue(out.contains("write-too-big EINVAL"), out);
    assertTrue(out.contains("after still-usable"), out);
  }

  /** A raw client up to the start of transmission (NBD_OPT_EXPORT_NAME, no zeroes). */
  static void exportName(DataInputStream in, DataOutputStream out) throws Exception {
    in.readFully(new byte[18]); // NBDMAGIC, IHAVEOPT, handshake flags
    out.writeInt(3); // fixed newstyle, no zeroes
    out.writeLong(0x49484156454F5054L);
    out.writeInt(1); // NBD_OPT_EXPORT_NAME
    out.writeInt(2);
    out.write("v0".getBytes(StandardCharsets.US_ASCII));
    out.flush();
    assertEquals(SIZE, in.readLong());
    in.readShort(); // transmission flags
  }

  @Test
  void aBadMagicOrATruncatedFrameClosesOnlyThatConnection() throws Exception {
    // A request with a bad magic: the server closes the connection.
    try (Socket s = new Socket("127.0.0.1", port(1))) {
      DataInputStream in = new DataInputStream(s.getInputStream());
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      exportName(in, out);
      out.writeInt(0xdeadbeef);
      out.write(new byte[24]);
      out.flush();
      assertEquals(-1, in.read(), "the server closes a connection with a bad magic");
    }
    // Half a request header, then the client goes away.
    try (Socket s = new Socket("127.0.0.1", port(1))) {
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      exportName(new DataInputStream(s.getInputStream()), out);
      out.writeInt(0x25609513);
      out.writeShort(0);
      out.flush();
    }
    // A bad option magic in the handshake.
    try (Socket s = new Socket("127.0.0.1", port(1))) {
      DataInputStream in = new DataInputStream(s.getInputStream());
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      in.readFully(new byte[18]);
      out.writeInt(3);
      out.writeLong(0x1122334455667788L);
      out.flush();
      assertEquals(-1, in.read());
    }
    // Nothing else was affected, and the server holds no connection for those clients.
    Tool.run(T, "qemu-io", "-f", "raw", "-c", "write -P 0x11 0 4k", "-c", "read -P 0x11 0 4k", uri(1)).ok();
    TestProbe<Object> probe = blades.kit(1).createTestProbe();
    probe.awaitAssert(Duration.ofSeconds(10), () -> {
      assertEquals(0, blades.rackshare(1).nbdServer().orElseThrow().connectionCount());
      return null;
    });
  }

  @Test
  void manyRequestsInFlightAreAnsweredOutOfOrderAsTheyComplete() {
    // fio keeps 32 requests in flight on one connection and verifies every block it wrote.
    Tool.run(Duration.ofMinutes(3), "fio", "--name=verify", "--ioengine=nbd", "--uri=" + uri(3),
        "--rw=randwrite", "--bs=4k", "--iodepth=32", "--size=" + SIZE, "--numjobs=1",
        "--verify=crc32c", "--verify_fatal=1", "--do_verify=1", "--nrfiles=1", "--verify_state_save=0").ok();
  }
}
