package io.rackshare.testkit;

import io.rackshare.access.BlockDevice;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link BlockDevice} that is an NBD client of one export (fixed newstyle handshake, {@code
 * NBD_OPT_GO}, simple replies, plain TCP): how a test in one JVM does I/O on a blade in another.
 * Requests are pipelined on one connection; one reader thread completes them. When the connection
 * breaks (its blade was killed), every request in flight and every later one fails with an
 * {@link IOException}: nothing is retried here, so a test sees exactly which writes were
 * acknowledged.
 */
public final class NbdBlockDevice implements BlockDevice, AutoCloseable {

  private static final long NBDMAGIC = 0x4e42444d41474943L;
  private static final long IHAVEOPT = 0x49484156454F5054L;
  private static final long OPTION_REPLY_MAGIC = 0x3e889045565a9L;
  private static final int REQUEST_MAGIC = 0x25609513;
  private static final int SIMPLE_REPLY_MAGIC = 0x67446698;
  private static final int OPT_GO = 7;
  private static final int REP_ACK = 1;
  private static final int REP_INFO = 3;
  private static final int INFO_EXPORT = 0;
  private static final int CMD_READ = 0;
  private static final int CMD_WRITE = 1;
  private static final int CMD_DISC = 2;
  private static final int CMD_FLUSH = 3;
  private static final int CMD_WRITE_ZEROES = 6;
  private static final int CMD_FLAG_FUA = 1;
  private static final int TF_READ_ONLY = 1 << 1;

  private record Pending(CompletableFuture<byte[]> done, int readLength) {}

  private final String name;
  private final Socket socket;
  private final DataInputStream in;
  private final long size;
  private final boolean readOnly;
  private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
  private final AtomicLong handles = new AtomicLong();
  private volatile IOException broken;

  private NbdBlockDevice(String name, Socket socket, DataInputStream in, long size, boolean readOnly) {
    this.name = name;
    this.socket = socket;
    this.in = in;
    this.size = size;
    this.readOnly = readOnly;
    Thread reader = new Thread(this::readReplies, "nbd-client-" + name);
    reader.setDaemon(true);
    reader.start();
  }

  /**
   * Connects to {@code nbd://host:port/export}.
   *
   * @param uri the export's URI
   * @return the connected device
   * @throws IOException when the server cannot be reached or refuses the export
   */
  public static NbdBlockDevice connect(String uri) throws IOException {
    URI u = URI.create(uri);
    if (!"nbd".equals(u.getScheme())) throw new IllegalArgumentException("not an nbd:// URI: " + uri);
    String export = u.getPath() == null ? "" : u.getPath().replaceFirst("^/", "");
    Socket s = new Socket();
    try {
      s.setTcpNoDelay(true);
      s.connect(new InetSocketAddress(u.getHost(), u.getPort() < 0 ? 10809 : u.getPort()), 10_000);
      DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(s.getInputStream()));
      var out = new java.io.DataOutputStream(new java.io.BufferedOutputStream(s.getOutputStream()));
      if (in.readLong() != NBDMAGIC || in.readLong() != IHAVEOPT) throw new IOException(uri + " is not an NBD server");
      in.readUnsignedShort(); // server flags: fixed newstyle, no zeroes (both asked for below)
      out.writeInt(3); // FIXED_NEWSTYLE | NO_ZEROES
      byte[] exportName = export.getBytes(StandardCharsets.UTF_8);
      out.writeLong(IHAVEOPT);
      out.writeInt(OPT_GO);
      out.writeInt(4 + exportName.length + 2);
      out.writeInt(exportName.length);
      out.write(exportName);
      out.writeShort(0); // no info requests: the server sends NBD_INFO_EXPORT anyway
      out.flush();
      long size = -1;
      int flags = 0;
      while (true) {
        if (in.readLong() != OPTION_REPLY_MAGIC) throw new IOException(uri + ": bad option reply");
        in.readInt(); // the option
        int type = in.readInt();
        byte[] data = new byte[in.readInt()];
        in.readFully(data);
        if (type == REP_ACK) break;
        if (type < 0) {
          throw new IOException(uri + ": the server refused export '" + export + "' (" + Integer.toHexString(type) + "): "
              + new String(data, StandardCharsets.UTF_8));
        }
        ByteBuffer b = ByteBuffer.wrap(data);
        if (type == REP_INFO && b.getShort() == INFO_EXPORT) {
          size = b.getLong();
          flags = b.getShort() & 0xffff;
        }
      }
      if (size < 0) throw new IOException(uri + ": the server told no export size");
      return new NbdBlockDevice(export, s, in, size, (flags & TF_READ_ONLY) != 0);
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
  }

  private void readReplies() {
    try {
      while (true) {
        if (in.readInt() != SIMPLE_REPLY_MAGIC) throw new IOException("bad reply magic from export " + name);
        int error = in.readInt();
        long handle = in.readLong();
        Pending p = pending.remove(handle);
        if (p == null) throw new IOException("a reply to no request (" + handle + ") from export " + name);
        byte[] data = new byte[error == 0 ? p.readLength() : 0];
        in.readFully(data);
        if (error == 0) p.done().complete(data);
        else p.done().completeExceptionally(new IOException("NBD error " + error + " from export " + name));
      }
    } catch (IOException e) {
      fail(e instanceof EOFException ? new IOException("export " + name + ": the server closed the connection") : e);
    }
  }

  private void fail(IOException why) {
    if (broken == null) broken = why;
    pending.keySet().forEach(h -> {
      Pending p = pending.remove(h);
      if (p != null) p.done().completeExceptionally(broken);
    });
  }

  private CompletableFuture<byte[]> send(int type, int flags, long offset, int length, ByteBuffer data) {
    CompletableFuture<byte[]> done = new CompletableFuture<>();
    if (broken != null) return CompletableFuture.failedFuture(broken);
    long handle = handles.incrementAndGet();
    pending.put(handle, new Pending(done, type == CMD_READ ? length : 0));
    ByteBuffer header = ByteBuffer.allocate(28);
    header.putInt(REQUEST_MAGIC).putShort((short) flags).putShort((short) type).putLong(handle).putLong(offset)
        .putInt(length).flip();
    try {
      synchronized (socket) {
        var out = socket.getOutputStream();
        out.write(header.array());
        if (data != null) {
          ByteBuffer d = data.duplicate();
          byte[] b = new byte[d.remaining()];
          d.get(b);
          out.write(b);
        }
        out.flush();
      }
    } catch (IOException e) {
      fail(e);
    }
    if (broken != null) fail(broken); // a reader that ended meanwhile does not see this request
    return done;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public int blockSize() {
    return 512;
  }

  @Override
  public boolean readOnly() {
    return readOnly;
  }

  @Override
  public CompletionStage<byte[]> read(long offset, int length) {
    return send(CMD_READ, 0, offset, length, null);
  }

  @Override
  public CompletionStage<Void> write(long offset, ByteBuffer data, boolean fua) {
    return send(CMD_WRITE, fua ? CMD_FLAG_FUA : 0, offset, data.remaining(), data).thenApply(x -> null);
  }

  @Override
  public CompletionStage<Void> writeZeroes(long offset, long length, boolean fua) {
    return send(CMD_WRITE_ZEROES, fua ? CMD_FLAG_FUA : 0, offset, Math.toIntExact(length), null).thenApply(x -> null);
  }

  @Override
  public CompletionStage<Void> flush() {
    return send(CMD_FLUSH, 0, 0, 0, null).thenApply(x -> null);
  }

  /** Disconnects ({@code NBD_CMD_DISC}) and closes the socket; requests in flight fail. */
  @Override
  public void close() {
    try {
      if (broken == null) {
        synchronized (socket) {
          ByteBuffer h = ByteBuffer.allocate(28);
          h.putInt(REQUEST_MAGIC).putShort((short) 0).putShort((short) CMD_DISC).putLong(0).putLong(0).putInt(0);
          socket.getOutputStream().write(h.array());
          socket.getOutputStream().flush();
        }
      }
    } catch (IOException e) {
      // The connection is gone already: closing is all that is left.
    }
    try {
      socket.close();
    } catch (IOException e) {
      // Nothing more to release.
    }
    fail(new IOException("export " + name + ": closed"));
  }
}
