package io.rackshare.smm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.io.ChannelReader;
import io.rackshare.io.DirectBufferPool;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lane's frame codec over a real socket: what is written is read back, and bad lengths are refused. */
class LaneFramesTest {

  @TempDir Path dir;
  SocketChannel a;
  SocketChannel b;
  LaneConnection out;
  ChannelReader in;

  @BeforeEach
  void connect() throws IOException {
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(dir.resolve("s")));
      a = SocketChannel.open(server.getLocalAddress());
      b = server.accept();
    }
    out = LaneConnection.plain(a);
    in = new ChannelReader(b, 64 * 1024);
  }

  @AfterEach
  void close() throws IOException {
    a.close();
    b.close();
  }

  /** Reads one frame as the lane does: length, type, id, then the body. */
  DataLane.Frame read(long expectedId, ByteBuffer reuse, DirectBufferPool pool) throws IOException {
    int length = in.readInt();
    byte type = in.readByte();
    assertEquals(expectedId, in.readLong());
    return LaneFrames.readBody(in, length, type, reuse, pool);
  }

  @Test
  void framesWithHeadersPayloadsAndTransfersComeBackAsWritten() throws Exception {
    Random random = new Random(5);
    byte[] small = new byte[1000];
    byte[] large = new byte[300_000];
    byte[] sent = new byte[70_000];
    random.nextBytes(small);
    random.nextBytes(large);
    random.nextBytes(sent);
    ByteBuffer header = ByteBuffer.wrap("volume r1".getBytes(StandardCharsets.UTF_8));
    Thread writer = new Thread(() -> {
      try {
        LaneFrames.write(out, (byte) 3, 1, new DataLane.Frame((byte) 3, header.duplicate(), ByteBuffer.wrap(small)));
        LaneFrames.write(out, (byte) 4, 2, new DataLane.Frame((byte) 4, ByteBuffer.allocate(0), ByteBuffer.wrap(large)));
        LaneFrames.write(out, (byte) 5, 3, new DataLane.Frame((byte) 5, ByteBuffer.allocate(0), ByteBuffer.allocate(0),
            new DataLane.Transfer() {
              @Override
              public long size() {
                return sent.length;
              }

              @Override
              public void writeTo(WritableByteChannel ch) throws IOException {
                ByteBuffer s = ByteBuffer.wrap(sent);
                while (s.hasRemaining()) ch.write(s);
              }
            }));
        LaneFrames.write(out, DataLane.TYPE_LANE_ERROR, 4, LaneFrames.error("no handler"));
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
    });
    writer.start();
    ByteBuffer reuse = ByteBuffer.allocateDirect(64 * 1024);
    DirectBufferPool pool = new DirectBufferPool(1 << 20, 2);
    DataLane.Frame f1 = read(1, reuse, pool);
    assertEquals(3, f1.type());
    assertEquals("volume r1", StandardCharsets.UTF_8.decode(f1.header()).toString());
    assertArrayEquals(small, bytes(f1.payload()));
    assertTrue(f1.payload().isDirect(), "a payload that fits lands in the reused buffer");
    DataLane.Frame f2 = read(2, reuse, pool);
    assertArrayEquals(large, bytes(f2.payload()), "larger than the reused buffer: a pooled or heap one");
    assertArrayEquals(sent, bytes(read(3, null, null).payload()));
    DataLane.Frame f4 = read(4, null, null);
    assertEquals(DataLane.TYPE_LANE_ERROR, f4.type());
    assertEquals("no handler", StandardCharsets.UTF_8.decode(f4.header()).toString());
    writer.join(5000);
  }

  static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  @Test
  void lengthsOutOfBoundsAreRefusedBeforeAnythingIsAllocated() throws Exception {
    assertThrows(IOException.class, () -> LaneFrames.readBody(in, 12, (byte) 1, null, null), "shorter than a frame");
    assertThrows(IOException.class, () -> LaneFrames.readBody(in, LaneFrames.MAX_FRAME + 1, (byte) 1, null, null));
    assertThrows(IOException.class, () -> LaneFrames.readBody(in, Integer.MIN_VALUE, (byte) 1, null, null));
    // A header longer than the frame, and a negative one.
    for (int headerLength : new int[] {1000, -5}) {
      ByteBuffer h = ByteBuffer.allocate(4).putInt(headerLength).flip();
      while (h.hasRemaining()) a.write(h);
      assertThrows(IOException.class, () -> LaneFrames.readBody(in, 13 + 10, (byte) 1, null, null));
    }
    // Too large to send: refused on the writing side.
    DataLane.Frame huge = new DataLane.Frame((byte) 1, ByteBuffer.allocate(0), ByteBuffer.allocate(0),
        new DataLane.Transfer() {
          @Override
          public long size() {
            return LaneFrames.MAX_FRAME;
          }

          @Override
          public void writeTo(WritableByteChannel ch) {
            throw new AssertionError("not written");
          }
        });
    assertThrows(IOException.class, () -> LaneFrames.write(out, (byte) 1, 1, huge));
  }
}
