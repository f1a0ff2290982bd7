package io.rackshare.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rackshare.access.BlockDevice;
import io.rackshare.io.TlsContexts;
import io.rackshare.tls.ClusterCa;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a client negotiated in clear does not survive NBD_OPT_STARTTLS (someone on the path could
 * have negotiated it for the client): structured replies asked before TLS are off after it, so a
 * client that does not ask again gets the simple replies it expects.
 */
class NbdStartTlsTest {

  @TempDir Path dir;

  static final class Zeros implements BlockDevice {
    @Override
    public String name() {
      return "v0";
    }

    @Override
    public long size() {
      return 1 << 20;
    }

    @Override
    public int blockSize() {
      return 512;
    }

    @Override
    public CompletionStage<byte[]> read(long offset, int length) {
      return CompletableFuture.completedFuture(new byte[length]);
    }

    @Override
    public CompletionStage<Void> write(long offset, ByteBuffer data, boolean fua) {
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Void> writeZeroes(long offset, long length, boolean fua) {
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Void> flush() {
      return CompletableFuture.completedFuture(null);
    }
  }

  static void option(DataOutputStream out, int option, byte[] data) throws Exception {
    out.writeLong(NbdProtocol.IHAVEOPT);
    out.writeInt(option);
    out.writeInt(data.length);
    out.write(data);
    out.flush();
  }

  /** Reads one option reply; returns its type. */
  static int reply(DataInputStream in, byte[][] data) throws Exception {
    assertEquals(NbdProtocol.OPTION_REPLY_MAGIC, in.readLong());
    in.readInt();
    int type = in.readInt();
    byte[] d = new byte[in.readInt()];
    in.readFully(d);
    if (data != null) data[0] = d;
    return type;
  }

  @Test
  void structuredRepliesNegotiatedBeforeTlsAreOffAfterIt() throws Exception {
    Path blade = ClusterCa.create(dir.resolve("ca"), "rackshare").issue("b", List.of("127.0.0.1"), dir.resolve("b"));
    Zeros device = new Zeros();
    NbdExports exports = new NbdExports() {
      @Override
      public List<String> names() {
        return List.of("v0");
      }

      @Override
      public Optional<BlockDevice> open(String name) {
        return Optional.of(device);
      }
    };
    NbdServer server = NbdServer.start(new NbdSettings(true, "127.0.0.1", 0, Optional.empty(), 16, 1 << 20,
        Duration.ofSeconds(5), Duration.ofSeconds(5), 8L << 20, Duration.ofSeconds(1), 64, 64, 1 << 20,
        Duration.ofSeconds(5), NbdTls.Mode.ON, blade.toString(), false), exports);
    try (Socket plain = new Socket("127.0.0.1", server.tcpAddress().getPort())) {
      plain.setSoTimeout(10_000);
      DataInputStream in = new DataInputStream(plain.getInputStream());
      DataOutputStream out = new DataOutputStream(plain.getOutputStream());
      in.readLong();
      in.readLong();
      in.readShort();
      out.writeInt(NbdProtocol.CLIENT_FLAG_FIXED_NEWSTYLE | NbdProtocol.CLIENT_FLAG_NO_ZEROES);
      option(out, NbdProtocol.OPT_STRUCTURED_REPLY, new byte[0]);
      assertEquals(NbdProtocol.REP_ACK, reply(in, null), "structured replies, in clear");
      option(out, NbdProtocol.OPT_STARTTLS, new byte[0]);
      assertEquals(NbdProtocol.REP_ACK, reply(in, null));
      SSLSocket tls = (SSLSocket) TlsContexts.trustingOnly(blade.resolve(ClusterCa.CA_CERT)).getSocketFactory()
          .createSocket(plain, "127.0.0.1", plain.getPort(), true);
      tls.startHandshake();
      in = new DataInputStream(tls.getInputStream());
      out = new DataOutputStream(tls.getOutputStream());
      byte[] name = "v0".getBytes(StandardCharsets.UTF_8);
      option(out, NbdProtocol.OPT_GO, ByteBuffer.allocate(4 + name.length + 2).putInt(name.length).put(name)
          .putShort((short) 0).array());
      short flags = -1;
      byte[][] d = new byte[1][];
      int type;
      while ((type = reply(in, d)) == NbdProtocol.REP_INFO) {
        ByteBuffer b = ByteBuffer.wrap(d[0]);
        if (b.getShort() == NbdProtocol.INFO_EXPORT) {
          b.getLong();
          flags = b.getShort();
        }
      }
      assertEquals(NbdProtocol.REP_ACK, type);
      assertEquals(0, flags & NbdProtocol.TF_SEND_DF, "no DF: structured replies are off after TLS");
      out.writeInt(NbdProtocol.REQUEST_MAGIC);
      out.writeShort(0);
      out.writeShort(NbdProtocol.CMD_READ);
      out.writeLong(42);
      out.writeLong(0);
      out.writeInt(512);
      out.flush();
      assertEquals(NbdProtocol.SIMPLE_REPLY_MAGIC, in.readInt(), "a simple reply to a read");
      assertEquals(0, in.readInt());
      assertEquals(42, in.readLong());
    } finally {
      server.close();
    }
  }
}
