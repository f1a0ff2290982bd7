package io.rackshare.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A raw NBD client for tests that decide byte by byte what the server sees. */
final class RawClient {
  private RawClient() {}

  /**
   * Connects to {@code port} on loopback and goes as far as transmission on export {@code v0}
   * (NBD_OPT_EXPORT_NAME, no zeroes), checking that it is {@code size} bytes.
   */
  static Socket transmission(int port, long size, int timeoutMillis) throws Exception {
    Socket s = new Socket("127.0.0.1", port);
    s.setSoTimeout(timeoutMillis);
    DataInputStream in = new DataInputStream(s.getInputStream());
    DataOutputStream out = new DataOutputStream(s.getOutputStream());
    in.readFully(new byte[18]);
    out.writeInt(3);
    out.writeLong(0x49484156454F5054L);
    out.writeInt(1);
    out.writeInt(2);
    out.write("v0".getBytes(StandardCharsets.US_ASCII));
    out.flush();
    assertEquals(size, in.readLong());
    in.readShort();
    return s;
  }
}
