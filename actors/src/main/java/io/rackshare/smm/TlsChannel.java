package io.rackshare.smm;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;

/**
 * TLS over a blocking socket channel through an {@link SSLEngine}: BoringSSL's (netty-tcnative)
 * where it loads, else the JDK's ({@link LaneTls}). One reader thread reads at a time ({@link
 * #read}), and one writer at a time, under the caller's lock, wraps ({@link #write}) and sends
 * ({@link #flush}); the two may run at once (both engines allow wrap and unwrap concurrently).
 * Records are decrypted straight into the caller's buffer when it has room for one, and encrypted
 * records are sent several at a time, so a 1 MiB frame costs about 16 system calls, not 64.
 */
final class TlsChannel implements ReadableByteChannel {
  private static final ByteBuffer[] NOTHING = {ByteBuffer.allocate(0)};
  /** A TLS record's header: type, version, length of what follows (2 bytes, big-endian). */
  private static final int RECORD_HEADER = 5;

  private final SocketChannel channel;
  private final SSLEngine engine;
  private final int packet;
  /** Ciphertext read, not yet decrypted (write mode: bytes are [0, position)). */
  private ByteBuffer netIn;
  /** Plaintext decrypted, not yet given to the reader (write mode). */
  private final ByteBuffer appIn;
  /** Ciphertext wrapped, not yet sent (write mode); under {@link #writeLock}. */
  private final ByteBuffer netOut;
  /**
   * Small plaintext pieces gathered into one record (write mode); under {@link #writeLock}.
   * BoringSSL's engine makes a record of every buffer it is given, so a frame's 17-byte start,
   * its header and a 4 KiB payload would be three records, three encryptions, three decryptions.
   */
  private final ByteBuffer plainOut = ByteBuffer.allocateDirect(RECORD_PLAINTEXT);
  /** The most plaintext one TLS record carries. */
  private static final int RECORD_PLAINTEXT = 16 * 1024;
  private final Object readLock = new Object();
  private final Object writeLock = new Object();
  private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

  private TlsChannel(SocketChannel channel, SSLEngine engine) {
    this.channel = channel;
    this.engine = engine;
    this.packet = engine.getSession().getPacketBufferSize();
    int application = engine.getSession().getApplicationBufferSize();
    this.netIn = ByteBuffer.allocateDirect(16 * packet);
    // BoringSSL's engine wants room for a whole record's ciphertext, a little more than its
    // "application buffer size".
    this.appIn = ByteBuffer.allocateDirect(Math.max(application, packet));
    this.netOut = ByteBuffer.allocateDirect(16 * packet);
  }

  /**
   * Runs {@code engine}'s handshake over the blocking {@code channel} and returns the connection;
   * the caller bounds its time by closing the channel. A peer's certificate the engine refuses
   * ends in an {@link SSLException}.
   */
  static TlsChannel handshake(SocketChannel channel, SSLEngine engine) throws IOException {
    TlsChannel t = new TlsChannel(channel, engine);
    try {
      engine.beginHandshake();
      t.completeHandshake();
    } catch (SSLException e) {
      // BoringSSL's engine says "General OpenSslEngine problem" and keeps the reason (a
      // certificate that does not name the address, of another CA, expired) in its causes.
      Throwable reason = e;
      while (reason.getCause() != null && reason.getCause() != reason) reason = reason.getCause();
      if (reason == e) throw e;
      SSLException clear = new javax.net.ssl.SSLHandshakeException(reason.getMessage() == null ? e.getMessage() : reason.getMessage());
      clear.initCause(e);
      throw clear;
    }
    return t;
  }

  /**
   * Follows the handshake status each step reports (BoringSSL's engine says NOT_HANDSHAKING when
   * asked directly while its last flight still waits to be wrapped).
   */
  private void completeHandshake() throws IOException {
    HandshakeStatus status = engine.getHandshakeStatus();
    while (true) {
      switch (status) {
        case NEED_WRAP -> status = wrapAndSend(NOTHING).getHandshakeStatus();
        case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
          synchronized (readLock) {
            SSLEngineResult r = unwrap(appIn);
            if (r.getStatus() == SSLEngineResult.Status.CLOSED) throw new SSLException("closed in the handshake");
            status = r.getHandshakeStatus();
          }
        }
        case NEED_TASK -> {
          runTasks();
          status = engine.getHandshakeStatus();
        }
        default -> {
          return; // FINISHED (or NOT_HANDSHAKING)
        }
      }
    }
  }

  /** The suite the handshake agreed on. */
  String cipherSuite() {
    return engine.getSession().getCipherSuite();
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    synchronized (readLock) {
      while (true) {
        if (appIn.position() > 0) {
          appIn.flip();
          int n = Math.min(appIn.remaining(), dst.remaining());
          ByteBuffer slice = appIn.slice(appIn.position(), n);
          dst.put(slice);
          appIn.position(appIn.position() + n);
          appIn.compact();
          return n;
        }
        // Large reads take the plaintext straight into the caller's buffer.
        ByteBuffer into = dst.remaining() >= appIn.capacity() ? dst : appIn;
        int before = into.position();
        SSLEngineResult r = unwrap(into);
        if (r.getStatus() == SSLEngineResult.Status.CLOSED) return -1;
        HandshakeStatus h = r.getHandshakeStatus();
        if (h == HandshakeStatus.NEED_TASK) {
          runTasks();
          h = engine.getHandshakeStatus();
        }
        if (h == HandshakeStatus.NEED_WRAP) wrapAndSend(NOTHING); // a key update's answer
        if (into == dst && dst.position() > before) return dst.position() - before;
      }
    }
  }

  /**
   * Decrypts one record from {@link #netIn} into {@code into}, reading from the socket while the
   * record is incomplete. Under {@link #readLock}.
   */
  private SSLEngineResult unwrap(ByteBuffer into) throws IOException {
    while (true) {
      netIn.flip();
      int limit = netIn.limit();
      // One whole record at a time: BoringSSL's engine would otherwise decrypt a second record
      // into its own buffer when {@code into} is full, and nothing in this channel would ask for it.
      if (netIn.remaining() >= RECORD_HEADER) {
        int record = RECORD_HEADER + (netIn.getShort(netIn.position() + 3) & 0xffff);
        if (record <= netIn.remaining()) netIn.limit(netIn.position() + record);
      }
      SSLEngineResult r;
      try {
        r = engine.unwrap(netIn, into);
      } finally {
        netIn.limit(limit);
        netIn.compact();
      }
      switch (r.getStatus()) {
        case OK, CLOSED -> {
          HandshakeStatus h = r.getHandshakeStatus();
          if (r.bytesConsumed() > 0 || r.bytesProduced() > 0 || r.getStatus() == SSLEngineResult.Status.CLOSED
              || h == HandshakeStatus.NEED_WRAP || h == HandshakeStatus.NEED_TASK || h == HandshakeStatus.FINISHED) {
            return r;
          }
          fill(); // nothing whole to decrypt yet
        }
        case BUFFER_UNDERFLOW -> {
          HandshakeStatus h = r.getHandshakeStatus();
          // BoringSSL finishes a handshake (after its delegated task) in an unwrap with no input.
          if (h == HandshakeStatus.FINISHED || h == HandshakeStatus.NEED_WRAP || h == HandshakeStatus.NEED_TASK) return r;
          if (!netIn.hasRemaining()) {
            ByteBuffer bigger = ByteBuffer.allocateDirect(netIn.capacity() * 2);
            netIn.flip();
            netIn = bigger.put(netIn);
          }
          fill();
        }
        case BUFFER_OVERFLOW -> throw new SSLException("a record larger than " + into.remaining() + " bytes");
      }
    }
  }

  private void fill() throws IOException {
    if (channel.read(netIn) < 0) throw new EOFException("the connection closed");
  }

  /**
   * Encrypts every byte of {@code srcs} and sends whole batches of records; what is left of the
   * last batch goes out with {@link #flush}. Pieces smaller than a record are gathered into one
   * record first; a larger piece is wrapped from where it lies. Callers hold the connection's
   * write lock.
   */
  void write(ByteBuffer[] srcs) throws IOException {
    synchronized (writeLock) {
      for (ByteBuffer src : srcs) {
        if (src.remaining() <= plainOut.remaining()) {
          plainOut.put(src);
          continue;
        }
        wrapGathered();
        if (src.remaining() < RECORD_PLAINTEXT) {
          plainOut.put(src);
        } else {
          wrapAll(src);
        }
      }
    }
  }

  /** Sends what {@link #write} has encrypted or gathered. */
  void flush() throws IOException {
    synchronized (writeLock) {
      wrapGathered();
      send();
    }
  }

  /** Wraps what {@link #plainOut} gathered into one record. Under {@link #writeLock}. */
  private void wrapGathered() throws IOException {
    if (plainOut.position() == 0) return;
    plainOut.flip();
    try {
      wrapAll(plainOut);
    } finally {
      plainOut.clear();
    }
  }

  /** Wraps every byte of {@code src} into {@link #netOut}, sending when it fills. Under {@link #writeLock}. */
  private void wrapAll(ByteBuffer src) throws IOException {
    ByteBuffer[] one = {src};
    while (src.hasRemaining()) {
      if (netOut.remaining() < packet) send();
      SSLEngineResult r = engine.wrap(one, netOut);
      if (r.getStatus() == SSLEngineResult.Status.CLOSED) throw new ClosedChannelException();
      if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) send();
      if (r.getHandshakeStatus() == HandshakeStatus.NEED_TASK) runTasks();
    }
  }

  /** A byte channel for {@link DataLane.Transfer}: each write is encrypted; {@link #flush} sends the rest. */
  WritableByteChannel writer() {
    return new WritableByteChannel() {
      @Override
      public int write(ByteBuffer src) throws IOException {
        int n = src.remaining();
        TlsChannel.this.write(new ByteBuffer[] {src});
        return n;
      }

      @Override
      public boolean isOpen() {
        return channel.isOpen();
      }

      @Override
      public void close() {
        // the connection closes the channel
      }
    };
  }

  private SSLEngineResult wrapAndSend(ByteBuffer[] srcs) throws IOException {
    synchronized (writeLock) {
      SSLEngineResult r = engine.wrap(srcs, netOut);
      if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
        send();
        r = engine.wrap(srcs, netOut);
      }
      if (r.getStatus() == SSLEngineResult.Status.CLOSED && r.bytesProduced() == 0) throw new SSLException("closed");
      send();
      return r;
    }
  }

  private void send() throws IOException {
    netOut.flip();
    try {
      while (netOut.hasRemaining()) channel.write(netOut);
    } finally {
      netOut.compact();
    }
  }

  private void runTasks() {
    Runnable task;
    while ((task = engine.getDelegatedTask()) != null) task.run();
  }

  @Override
  public boolean isOpen() {
    return channel.isOpen();
  }

  /**
   * Closes the channel, then frees the engine (BoringSSL's holds native memory until then, or
   * until it is collected).
   */
  @Override
  public void close() throws IOException {
    try {
      channel.close();
    } finally {
      if (!closed.getAndSet(true)) {
        engine.closeOutbound();
        if (engine instanceof io.netty.util.ReferenceCounted r && r.refCnt() > 0) r.release();
      }
    }
  }
}
