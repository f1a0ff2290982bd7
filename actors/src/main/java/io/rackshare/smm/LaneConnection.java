package io.rackshare.smm;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SocketChannel;

/**
 * One data-lane connection's two byte streams: the socket channel itself (Unix sockets, and TCP
 * without TLS), or TLS over it ({@link TlsChannel} with an engine of {@link LaneTls}; TCP with
 * {@code rackshare.oob.data-lane-tls}: mutual, both ends show a certificate of the cluster's CA).
 * The lane's reader thread reads {@link #in}; whoever holds the connection's lock writes frames
 * with {@link #write}.
 */
final class LaneConnection {
  final SocketChannel channel;
  final ReadableByteChannel in;
  private final TlsChannel tls;
  /**
   * Small frames written without flush on a plain channel, sent with the next write that flushes
   * in one gathering write; under the writer's lock. (TLS gathers in {@link TlsChannel}.)
   */
  private final ByteBuffer staged;

  private LaneConnection(SocketChannel channel, TlsChannel tls) {
    this.channel = channel;
    this.tls = tls;
    this.in = tls == null ? channel : tls;
    this.staged = tls == null ? ByteBuffer.allocateDirect(STAGED) : null;
  }

  private static final int STAGED = 64 * 1024;

  static LaneConnection plain(SocketChannel channel) {
    return new LaneConnection(channel, null);
  }

  /**
   * TLS over {@code channel} as the side that connected to {@code target}; returns once the
   * handshake is done (the caller bounds it by closing the channel).
   */
  static LaneConnection client(SocketChannel channel, LaneTls tls, InetSocketAddress target) throws IOException {
    return new LaneConnection(channel, TlsChannel.handshake(channel, tls.client(target)));
  }

  /** TLS over an accepted {@code channel}, a client certificate required; returns once the handshake is done. */
  static LaneConnection server(SocketChannel channel, LaneTls tls) throws IOException {
    return new LaneConnection(channel, TlsChannel.handshake(channel, tls.server()));
  }

  boolean encrypted() {
    return tls != null;
  }

  /** The TLS cipher suite agreed in the handshake, or "none" on a connection without TLS. */
  String cipherSuite() {
    return tls == null ? "none" : tls.cipherSuite();
  }

  /** Writes every byte of {@code buffers}, then {@code transfer} (may be null). */
  void write(ByteBuffer[] buffers, DataLane.Transfer transfer) throws IOException {
    write(buffers, transfer, true);
  }

  /**
   * As {@link #write(ByteBuffer[], DataLane.Transfer)}; without {@code flush}, the bytes may wait
   * in the connection's buffer for the next write that flushes, or {@link #flush}.
   */
  void write(ByteBuffer[] buffers, DataLane.Transfer transfer, boolean flush) throws IOException {
    if (tls == null) {
      long size = 0;
      for (ByteBuffer b : buffers) size += b.remaining();
      if (!flush && transfer == null && size <= staged.remaining()) {
        for (ByteBuffer b : buffers) staged.put(b);
        return;
      }
      ByteBuffer[] all = buffers;
      if (staged.position() > 0) {
        all = new ByteBuffer[buffers.length + 1];
        all[0] = staged.flip();
        System.arraycopy(buffers, 0, all, 1, buffers.length);
        size += staged.remaining();
      }
      try {
        while (size > 0) size -= channel.write(all);
      } finally {
        staged.clear();
      }
      if (transfer != null) transfer.writeTo(channel);
      return;
    }
    tls.write(buffers);
    if (transfer != null) transfer.writeTo(tls.writer());
    if (flush) tls.flush();
  }

  /** Sends what writes without flush left in the connection's buffer. */
  void flush() throws IOException {
    if (tls != null) {
      tls.flush();
      return;
    }
    if (staged.position() == 0) return;
    staged.flip();
    try {
      while (staged.hasRemaining()) channel.write(staged);
    } finally {
      staged.clear();
    }
  }

  /** Closes the connection (and its TLS session with it); a reader blocked on it gets an exception. */
  void close() {
    try {
      if (tls != null) tls.close();
      else channel.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  /**
   * No Nagle delay on TCP; for read replies (target to requester), socket buffers that hold
   * several 1 MiB payloads, so a reply goes out in one system call and the requester wakes up less
   * often (the kernel caps them at net.core.wmem_max / rmem_max). Measured: read throughput +20 %;
   * the same on the request direction made writes slower, so that one keeps the defaults.
   */
  static void tune(SocketChannel ch, boolean target) throws IOException {
    if (ch.getLocalAddress() instanceof InetSocketAddress) ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
    if (target) ch.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER);
    else ch.setOption(StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER);
  }


  private static final int SOCKET_BUFFER = 4 << 20;

  static void closeQuietly(java.nio.channels.Channel ch) {
    try {
      ch.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

}
