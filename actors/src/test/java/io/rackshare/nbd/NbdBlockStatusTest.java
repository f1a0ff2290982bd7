package io.rackshare.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.testkit.Tool;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The NBD features real clients use to skip what is not there, with real clients (libnbd's
 * nbdinfo, nbdsh and nbdcopy, qemu-img): structured replies, the {@code base:allocation} meta
 * context and {@code NBD_CMD_BLOCK_STATUS} (holes reported as holes that read as zeroes), {@code
 * NBD_CMD_CACHE}, fast zero (refused where zeroing is not fast), and reads in one chunk (DF). The
 * device is sparse in memory (64 KiB blocks) and counts what is read from it, so a copy that
 * skips the holes shows.
 */
class NbdBlockStatusTest {

  static final Duration T = Duration.ofSeconds(60);
  static final int SIZE = 64 << 20;
  static final int MIB = 1 << 20;
  static MemoryDevice device;
  static NbdServer server;
  @TempDir static Path dir;

  @BeforeAll
  static void start() throws Exception {
    device = new MemoryDevice(SIZE, false);
    byte[] ones = new byte[128 * 1024];
    Arrays.fill(ones, (byte) 0x5a);
    device.write(MIB, ByteBuffer.wrap(ones), false).toCompletableFuture().get();
    device.write(10 * MIB, ByteBuffer.wrap(ones, 0, 64 * 1024), false).toCompletableFuture().get();
    server = NbdServer.start(new NbdSettings(true, "127.0.0.1", 0, Optional.empty(), 16, 32 << 20,
        Duration.ofSeconds(5), Duration.ofSeconds(5), 64L << 20, Duration.ofSeconds(5), 64, 64, 1 << 20,
        Duration.ofSeconds(5), NbdTls.Mode.OFF, "", false), device.exports());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static String uri() {
    return "nbd://127.0.0.1:" + server.tcpAddress().getPort() + "/v0";
  }

  @Test
  void nbdinfoMapsTheDataAndTheHoles() {
    String map = Tool.run(T, "nbdinfo", "--map", uri()).ok().out();
    List<String> rows = map.lines().map(l -> l.trim().replaceAll("\\s+", " ")).toList();
    assertEquals(List.of(
        "0 1048576 3 hole,zero",
        "1048576 131072 0 data",
        "1179648 9306112 3 hole,zero",
        "10485760 65536 0 data",
        "10551296 56557568 3 hole,zero"), rows, map);
  }

  @Test
  void qemuImgSeesTheSameMap() {
    String json = Tool.run(T, "qemu-img", "map", "--output=json", "--image-opts",
        "driver=nbd,host=127.0.0.1,port=" + server.tcpAddress().getPort() + ",export=v0").ok().out();
    assertTrue(json.contains("\"start\": 1048576, \"length\": 131072, \"depth\": 0, \"present\": true, \"zero\": false,"
        + " \"data\": true"), json);
    assertTrue(json.contains("\"start\": 0, \"length\": 1048576, \"depth\": 0, \"present\": true, \"zero\": true,"
        + " \"data\": false"), json);
  }

  /** libnbd's own view of the negotiation and of each command, through nbdsh. */
  @Test
  void structuredRepliesCacheFastZeroAndOneDescriptor() {
    String script = """
        import nbd, sys
        h = nbd.NBD()
        h.add_meta_context("base:allocation")
        h.connect_uri(sys.argv[1])
        assert h.get_structured_replies_negotiated()
        assert h.can_meta_context("base:allocation")
        assert h.can_cache() and h.can_df() and h.can_fast_zero()
        seen = []
        def extents(meta, offset, entries, err):
            seen.append((meta, offset, list(entries)))
        h.block_status(4 << 20, 0, extents, nbd.CMD_FLAG_REQ_ONE)
        assert seen == [("base:allocation", 0, [1048576, 3])], seen
        chunks = []
        def chunk(buf, offset, status, err):
            chunks.append((offset, status, len(buf)))
        data = h.pread_structured(8192, 1048576, chunk, nbd.CMD_FLAG_DF)
        assert data == b"\\x5a" * 8192 and chunks == [(1048576, nbd.READ_DATA, 8192)], chunks
        h.cache(65536, 0)
        try:
            h.zero(65536, 1048576, nbd.CMD_FLAG_FAST_ZERO)
            raise SystemExit("a fast zero was accepted by a device whose zeroing is not fast")
        except nbd.Error as e:
            assert e.errno == "ENOTSUP", e.errno  # the client writes zeroes itself
        assert h.pread(4, 1048576) == b"\\x5a" * 4, "the refused zero changed nothing"
        try:
            h.pread(4096, (64 << 20) - 100)
            raise SystemExit("a read past the end was answered")
        except nbd.Error as e:
            assert e.errno == "EINVAL", e.errno  # in an error chunk
        h.shutdown()
        print("OK")
        """;
    Tool.Result r = Tool.run(T, "/usr/bin/python3", "-c", script, uri()).ok();
    assertTrue(r.out().contains("OK"), r.out());
  }

  @Test
  void aClientWithoutStructuredRepliesGetsSimpleOnes() {
    String script = """
        import nbd, sys
        h = nbd.NBD()
        h.set_request_structured_replies(False)
        h.connect_uri(sys.argv[1])
        assert not h.get_structured_replies_negotiated() and not h.can_df()
        assert h.pread(4, 1048576) == b"\\x5a" * 4
        h.shutdown()
        print("OK")
        """;
    assertTrue(Tool.run(T, "/usr/bin/python3", "-c", script, uri()).ok().out().contains("OK"));
  }

  @Test
  void nbdcopyReadsOnlyTheData() throws Exception {
    Path out = dir.resolve("copy.img");
    long before = device.bytesRead.get();
    Tool.run(T, "nbdcopy", uri(), out.toString()).ok();
    long read = device.bytesRead.get() - before;
    // nbdcopy reads in requests of 256 KiB: the two that hold the 192 KiB of data, nothing of the holes.
    assertTrue(read >= 192 * 1024 && read <= 2 * 256 * 1024, "nbdcopy read " + read + " of " + SIZE + " bytes");
    byte[] copy = Files.readAllBytes(out);
    assertArrayEquals(device.bytes, copy, "and the copy is whole");
  }

  /**
   * A zero-length READ under structured replies is answered by a NONE chunk (a data chunk must
   * carry a byte; qemu drops the connection on an empty one). libnbd will not send one, so by hand.
   */
  @Test
  void aZeroLengthReadGetsADoneChunkWithoutData() throws Exception {
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", server.tcpAddress().getPort())) {
      s.setSoTimeout(10_000);
      java.io.DataInputStream in = new java.io.DataInputStream(s.getInputStream());
      java.io.DataOutputStream out = new java.io.DataOutputStream(s.getOutputStream());
      in.readNBytes(18);
      out.writeInt(NbdProtocol.CLIENT_FLAG_FIXED_NEWSTYLE | NbdProtocol.CLIENT_FLAG_NO_ZEROES);
      out.writeLong(NbdProtocol.IHAVEOPT);
      out.writeInt(NbdProtocol.OPT_STRUCTURED_REPLY);
      out.writeInt(0);
      out.writeLong(NbdProtocol.IHAVEOPT);
      out.writeInt(NbdProtocol.OPT_EXPORT_NAME);
      out.writeInt(2);
      out.writeBytes("v0");
      out.flush();
      in.readNBytes(20); // the ACK of STRUCTURED_REPLY
      in.readNBytes(10); // size and flags
      out.writeInt(NbdProtocol.REQUEST_MAGIC);
      out.writeShort(0);
      out.writeShort(NbdProtocol.CMD_READ);
      out.writeLong(7);
      out.writeLong(MIB);
      out.writeInt(0);
      out.flush();
      assertEquals(NbdProtocol.STRUCTURED_REPLY_MAGIC, in.readInt());
      assertEquals(NbdProtocol.REPLY_FLAG_DONE, in.readShort());
      assertEquals(NbdProtocol.REPLY_TYPE_NONE, in.readShort());
      assertEquals(7, in.readLong());
      assertEquals(0, in.readInt(), "no payload");
    }
  }
}
