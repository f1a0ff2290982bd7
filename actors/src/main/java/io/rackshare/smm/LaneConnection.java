package io.rackshare.smm;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * One data-lane connection's two byte streams: the socket channel itself (Unix sockets, and TCP
 * without TLS), or the JDK's TLS over it (TCP with {@code rackshare.oob.data-lane-tls}: mutual, both
 * ends show a certificate of the cluster's CA). The lane's reader thread reads {@link #in}; whoever
 * holds the connection's lock writes frames with {@link #write}.
 */
final class LaneConnection {
  private static final String[] PROTOCOLS = {"TLSv1.3"};

  final SocketChannel channel;
  final ReadableByteChannel in;
  private final OutputStream tlsOut;
  private final WritableByteChannel tlsChannel;

  private LaneConnection(SocketChannel channel, SSLSocket tls) throws IOException {
    this.channel = channel;
    if (tls == null) {
      this.in = channel;
      this.tlsOut = null;
      this.tlsChannel = null;
    } else {
      this.in = Channels.newChannel(tls.getInputStream());
      // One TLS record per 16 KiB of a frame, not one per buffer of it.
      this.tlsOut = new BufferedOutputStream(tls.getOutputStream(), 64 * 1024);
      this.tlsChannel = Channels.newChannel(tlsOut);
    }
  }

  static LaneConnection plain(SocketChannel channel) throws IOException {
    return new LaneConnection(channel, null);
  }

  /**
   * TLS over {@code channel} as the side that connected to {@code target}; returns once the
   * handshake is done (the caller bounds it by closing the channel).
   */
  static LaneConnection client(SocketChannel channel, SSLContext context, InetSocketAddress target) throws IOException {
    SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket(channel.socket(), target.getHostString(),
        target.getPort(), true);
    s.setEnabledProtocols(PROTOCOLS);
    s.setUseClientMode(true);
    // The target must show a certificate for the address connected to (its SANs): another
    // blade's certificate of the same CA cannot stand in the middle.
    javax.net.ssl.SSLParameters p = s.getSSLParameters();
    p.setEndpointIdentificationAlgorithm("HTTPS");
    s.setSSLParameters(p);
    s.startHandshake();
    return new LaneConnection(channel, s);
  }

  /** TLS over an accepted {@code channel}, a client certificate required; returns once the handshake is done. */
  static LaneConnection server(SocketChannel channel, SSLContext context) throws IOException {
    SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket(channel.socket(), null, true);
    s.setEnabledProtocols(PROTOCOLS);
    s.setUseClientMode(false);
    s.setNeedClientAuth(true);
    s.startHandshake();
    return new LaneConnection(channel, s);
  }

  boolean encrypted() {
    return tlsOut != null;
  }

  /** Writes every byte of {@code buffers}, then {@code transfer} (may be null). */
  void write(ByteBuffer[] buffers, DataLane.Transfer transfer) throws IOException {
    if (tlsOut == null) {
      long left = 0;
      for (ByteBuffer b : buffers) left += b.remaining();
      while (left > 0) left -= channel.write(buffers);
      if (transfer != null) transfer.writeTo(channel);
      return;
    }
    for (ByteBuffer b : buffers) {
      while (b.hasRemaining()) tlsChannel.write(b);
    }
    if (transfer != null) transfer.writeTo(tlsChannel);
    tlsOut.flush();
  }

  /** Closes the connection (and its TLS session with it); a reader blocked on it gets an exception. */
  void close() {
    try {
      channel.close();
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
