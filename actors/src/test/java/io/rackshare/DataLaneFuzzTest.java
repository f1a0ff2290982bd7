package io.rackshare;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.rackshare.map.BladeId;
import io.rackshare.smm.DataLane;
import io.rackshare.smm.LaneGreeting;
import io.rackshare.testkit.FuzzClient;
import io.rackshare.testkit.TestBlades;
import io.rackshare.testkit.Unexpected;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Jazzer against the data lane's target side, as a blade of the cluster would reach it: three
 * in-JVM blades with a span, a RAID-1 and a RAID-5 volume; the fuzzer's bytes follow a valid
 * greeting (blade 2's identity, blade 1's key) on a TCP connection to blade 1's lane, so they go
 * through the frame decoder, the block, stripe, proxy and resync decoders, the target's checks
 * and, where they pass them, to the disks and to the other blades. Whatever the bytes, the lane
 * closes the connection within 3 s of the client's side ending, and nothing logs an error
 * or a stack trace. An authenticated peer is trusted with the blocks, not with the blade: a
 * malformed frame costs it its connection, never the blade.
 *
 * <p>Seeds ({@code DataLaneFuzzTestInputs/}) carry the 8 bytes {@code EPOCH___} where a frame
 * names its map epoch; the test puts the blade's current epoch there, so the seeds reach past the
 * epoch check whatever the epoch is when they run.
 */
class DataLaneFuzzTest {

  static final BladeId TARGET = new BladeId(1, 1, 1);
  static final BladeId CLIENT = new BladeId(1, 1, 2);
  static final byte[] EPOCH_MARK = "EPOCH___".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  static Path root;
  static TestBlades blades;
  static DataLane lane;

  @BeforeAll
  static void start() throws Exception {
    Unexpected.watch();
    root = Files.createTempDirectory("lane-fuzz");
    blades = new TestBlades(root, """
        rackshare.volumes = [
          { name = s0, members = ["Rack(1)/Chassis(1)/Blade(1)/Disk(0)"] }
          { name = m1, layout = raid1, members = ["Rack(1)/Chassis(1)/Blade(1)/Disk(1)",
              "Rack(1)/Chassis(1)/Blade(2)/Disk(0)"] }
          { name = r5, layout = raid5, stripe-size = 16KiB, members = ["Rack(1)/Chassis(1)/Blade(1)/Disk(2)",
              "Rack(1)/Chassis(1)/Blade(2)/Disk(1)", "Rack(1)/Chassis(1)/Blade(3)/Disk(0)"] }
        ]
        rackshare.oob.request-timeout = 2s
        rackshare.nbd.enabled = off
        rackshare.management.enabled = off
        """);
    String disks = """
        [{ file = "disk0.img", size = 1MiB }, { file = "disk1.img", size = 1MiB }, { file = "disk2.img", size = 1MiB }]
        """;
    for (int slot = 1; slot <= 3; slot++) blades.start(slot, disks);
    for (String v : new String[] {"s0", "m1", "r5"}) {
      blades.rackshare(1).awaitVolume(v, Duration.ofSeconds(30)).toCompletableFuture().get();
    }
    lane = blades.rackshare(1).dataLane();
  }

  @AfterAll
  static void stop() {
    if (blades != null) blades.close();
  }

  /** {@code input} with every {@code EPOCH___} replaced by the epoch blade 1 routes with now. */
  static byte[] withEpoch(byte[] input) {
    long epoch = blades.rackshare(1).localMap().epoch();
    byte[] out = input.clone();
    for (int i = 0; i + EPOCH_MARK.length <= out.length; i++) {
      if (java.util.Arrays.equals(out, i, i + EPOCH_MARK.length, EPOCH_MARK, 0, EPOCH_MARK.length)) {
        ByteBuffer.wrap(out, i, 8).putLong(epoch);
        i += 7;
      }
    }
    return out;
  }

  @FuzzTest(maxDuration = "10s")
  void anyFramesFromAPeerEndCleanly(byte[] input) throws Exception {
    int mark = Unexpected.watch().mark();
    int port = lane.port();
    try (var allowed = FuzzClient.allowLoopback(port); Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      byte[] nonce = LaneGreeting.nonce(s.getInputStream());
      FuzzClient.exchange(s, LaneGreeting.of(lane.key(), nonce, CLIENT, TARGET), withEpoch(input),
          Duration.ofSeconds(3));
    }
    Unexpected.watch().noneSince(mark, "after " + input.length + " bytes");
  }
}
