package io.rackshare.nbd;

import java.io.IOException;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * TLS for NBD ({@code NBD_OPT_STARTTLS}, the JDK's TLS 1.3/1.2): the blade's certificate and key
 * ({@code tls.crt}, {@code tls.key}) and, to verify clients' certificates, the CA ({@code
 * ca.crt}), in the directory {@code rackshare certs} makes for a blade (or the operator's own
 * files under those names). Runs on the connection's reader thread, during the handshake.
 */
final class NbdTls {

  /** {@code rackshare.nbd.tls.mode}: off (STARTTLS refused), on (offered), require (nothing without it). */
  enum Mode { OFF, ON, REQUIRE }

  private final java.util.function.Supplier<SSLContext> context;
  private final boolean verifyClients;

  private NbdTls(java.util.function.Supplier<SSLContext> context, boolean verifyClients) {
    this.context = context;
    this.verifyClients = verifyClients;
  }

  /** The files in {@code dir}, read again when they change (every new connection looks, at most every 10 s). */
  static NbdTls load(Path dir, boolean verifyClients) {
    return new NbdTls(io.rackshare.io.TlsContexts.reloading(dir, "rackshare.nbd.tls", java.time.Duration.ofSeconds(10)),
        verifyClients);
  }

  /** The server's side of TLS over an open connection; returns once the TLS handshake is done. */
  SSLSocket accept(java.net.Socket plain) throws IOException {
    SSLSocket s = (SSLSocket) context.get().getSocketFactory().createSocket(plain, null, true);
    s.setUseClientMode(false);
    s.setEnabledProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
    if (verifyClients) s.setNeedClientAuth(true);
    s.startHandshake();
    return s;
  }
}
