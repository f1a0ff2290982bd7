package io.rackshare.testkit;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.SilentCloseable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A hostile client for the fuzz tests: it sends a fuzzer's bytes to a listener on loopback, closes
 * its sending side and reads whatever comes back until the server closes the connection, which it
 * must do within a bound.
 */
public final class FuzzClient {
  private FuzzClient() {}

  private static final ScheduledExecutorService GUARD = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "fuzz-client-guard");
    t.setDaemon(true);
    return t;
  });

  /** Connections from this client to a loopback listener are the test, not server-side request forgery. */
  public static SilentCloseable allowLoopback(int port) {
    return BugDetectors.allowNetworkConnections((host, p) -> p == port);
  }

  /**
   * Sends {@code input} to {@code port} on loopback, shuts the output and
   * drains the answer; fails if the server neither closes nor resets the connection within {@code
   * timeout} of the last byte sent.
   */
  public static void sendAndDrain(int port, byte[] input, Duration timeout) throws IOException {
    try (SilentCloseable allowed = allowLoopback(port); Socket s = new Socket("127.0.0.1", port)) {
      exchange(s, new byte[0], input, timeout);
    }
  }

  /**
   * For servers that keep a half-closed connection open (HTTP: a client may half-close and still
   * read its answers; the idle time-out ends it): sends {@code input}, shuts the output and reads
   * until the server closes or says nothing for {@code quiet}, then closes.
   */
  public static void sendAndRead(int port, byte[] input, Duration quiet) throws IOException {
    try (SilentCloseable allowed = allowLoopback(port); Socket s = new Socket("127.0.0.1", port)) {
      try {
        s.getOutputStream().write(input);
        s.shutdownOutput();
      } catch (IOException e) {
        return; // closed or reset by the server
      }
      s.setSoTimeout((int) quiet.toMillis());
      byte[] sink = new byte[64 << 10];
      try {
        while (s.getInputStream().read(sink) >= 0) {
          // the server's answers, whatever they are
        }
      } catch (IOException e) {
        // quiet, closed or reset: done
      }
    }
  }

  /**
   * On a connected socket: sends {@code prefix} and {@code input}, shuts the output and drains the
   * answer, as {@link #sendAndDrain}. A server that stops reading cannot block the sender: the
   * socket is closed after {@code timeout} and that is a failure.
   */
  public static void exchange(Socket s, byte[] prefix, byte[] input, Duration timeout) throws IOException {
    boolean[] expired = new boolean[1];
    ScheduledFuture<?> guard = GUARD.schedule(() -> {
      expired[0] = true;
      try {
        s.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }, timeout.toMillis(), TimeUnit.MILLISECONDS);
    try {
      OutputStream out = s.getOutputStream();
      out.write(prefix);
      out.write(input);
      out.flush();
      s.shutdownOutput();
    } catch (IOException e) {
      // The server closed or reset first: an ending, unless the guard did it.
    } finally {
      guard.cancel(false);
    }
    if (expired[0]) throw new AssertionError("the server stopped reading and did not close within " + timeout);
    s.setSoTimeout((int) timeout.toMillis());
    try {
      InputStream in = s.getInputStream();
      byte[] sink = new byte[64 << 10];
      while (in.read(sink) >= 0) {
        // the server's answers, whatever they are
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the server neither answered nor closed within " + timeout + " after the client's "
          + (prefix.length + input.length) + " bytes", e);
    } catch (IOException e) {
      // reset by the server: an ending too
    }
  }

  /** Waits (polling another thread's state) until {@code done} holds or {@code timeout} passes. */
  public static void await(BooleanSupplier done, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!done.getAsBoolean() && System.nanoTime() - deadline < 0) Thread.sleep(1);
  }
}
