package io.rackshare.io;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.pekko.pki.pem.DERPrivateKeyLoader;
import org.apache.pekko.pki.pem.PEMDecoder;

/**
 * The JDK's TLS (1.3 and 1.2) with a blade's certificate: {@code tls.crt} and {@code tls.key},
 * and the CA whose certificates it trusts, {@code ca.crt}, in the directory {@code rackshare
 * certs} makes for a blade (or an operator's own files under those names). One context serves NBD
 * over TLS, the data lane and HTTPS management.
 */
public final class TlsContexts {
  private TlsContexts() {}

  /** The files' names in a blade's TLS directory. */
  public static final String CERT = "tls.crt";
  public static final String KEY = "tls.key";
  public static final String CA = "ca.crt";

  /**
   * A context with the certificate and key in {@code dir} that trusts the CA certificates of
   * {@code dir/ca.crt}; {@code what} names the setting in the error of a directory that lacks them.
   */
  public static SSLContext load(Path dir, String what) {
    return material(dir, what).context();
  }

  /**
   * A blade's TLS material as {@link #load} reads it: the JDK's context, and the key and trust
   * managers it was made of, for engines of another provider (the data lane's BoringSSL).
   */
  public record Material(SSLContext context, KeyManagerFactory keys, TrustManagerFactory trust) {}

  /** As {@link #load}, with the managers the context was made of. */
  public static Material material(Path dir, String what) {
    try {
      CertificateFactory x509 = CertificateFactory.getInstance("X.509");
      Collection<? extends Certificate> chain = x509.generateCertificates(
          new ByteArrayInputStream(Files.readAllBytes(dir.resolve(CERT))));
      PrivateKey key = DERPrivateKeyLoader.load(PEMDecoder.decode(Files.readString(dir.resolve(KEY), StandardCharsets.US_ASCII)));
      if (chain.isEmpty()) throw new IllegalArgumentException("no certificate in " + CERT);
      matches(key, chain.iterator().next());
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      keys.setKeyEntry("blade", key, new char[0], chain.toArray(Certificate[]::new));
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, new char[0]);
      TrustManagerFactory tmf = trusting(dir.resolve(CA));
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
      return new Material(context, kmf, tmf);
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      throw new IllegalArgumentException(what + ": cannot load " + CERT + ", " + KEY + " and " + CA + " from " + dir + ": "
          + e.getMessage(), e);
    }
  }

  /**
   * Fails unless {@code key} is the private key of {@code cert}: files caught between the writes
   * of a rotation (a new key beside the old certificate) would fail every handshake.
   */
  private static void matches(PrivateKey key, Certificate cert) throws GeneralSecurityException {
    String algorithm = key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256with" + key.getAlgorithm();
    byte[] probe = "rackshare".getBytes(StandardCharsets.US_ASCII);
    java.security.Signature sign = java.security.Signature.getInstance(algorithm);
    sign.initSign(key);
    sign.update(probe);
    byte[] signature = sign.sign();
    java.security.Signature verify = java.security.Signature.getInstance(algorithm);
    verify.initVerify(cert.getPublicKey());
    verify.update(probe);
    if (!verify.verify(signature)) throw new IllegalArgumentException(KEY + " is not the key of " + CERT);
  }

  /**
   * The context of {@link #load}, read again when its files change (certificate rotation without a
   * restart, as Artery's does): each {@link Reloading#get} looks at the files' times at most every
   * {@code every}; a change that does not load (a file half-copied) keeps the last good context
   * and says why once.
   */
  public static Reloading reloading(Path dir, String what, java.time.Duration every) {
    return new Reloading(dir, what, every);
  }

  /** See {@link #reloading}. Thread-safe. */
  public static final class Reloading implements java.util.function.Supplier<SSLContext> {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(TlsContexts.class);
    private final Path dir;
    private final String what;
    private final long everyNanos;
    private Material material;
    /** The files as they were when {@link #material} was read from them. */
    private java.util.List<Object> stamp;
    private long checked;
    /** The files as they were at the last load that failed (said once). */
    private java.util.List<Object> failed;

    private Reloading(Path dir, String what, java.time.Duration every) {
      this.dir = dir;
      this.what = what;
      this.everyNanos = every.toNanos();
      this.stamp = stamp();
      this.material = TlsContexts.material(dir, what);
      this.checked = System.nanoTime();
    }

    /** The files' times (as fine as the file system keeps them) and sizes. */
    private java.util.List<Object> stamp() {
      java.util.List<Object> s = new java.util.ArrayList<>();
      for (String f : new String[] {CERT, KEY, CA}) {
        try {
          s.add(Files.getLastModifiedTime(dir.resolve(f)));
          s.add(Files.size(dir.resolve(f)));
        } catch (IOException e) {
          s.add("missing");
        }
      }
      return s;
    }

    @Override
    public SSLContext get() {
      return material().context();
    }

    /** The material as {@link #get} gives its context: read again when the files changed. */
    public synchronized Material material() {
      long now = System.nanoTime();
      if (now - checked >= everyNanos) {
        checked = now;
        java.util.List<Object> s = stamp();
        if (!s.equals(stamp)) {
          // Only a load that works moves the stamp: files caught half-written are read again at
          // the next look, whatever their times say by then.
          try {
            material = TlsContexts.material(dir, what);
            stamp = s;
            log.info("{}: read the certificate in {} again", what, dir);
          } catch (IllegalArgumentException e) {
            if (!s.equals(failed)) log.warn("{} (the last one read stays in use)", e.getMessage());
            failed = s;
          }
        }
      }
      return material;
    }
  }

  /** For Pekko HTTP: each connection's server engine from {@code tls}'s context as it is then. */
  public static org.apache.pekko.http.javadsl.HttpsConnectionContext httpsServer(
      java.util.function.Supplier<SSLContext> tls) {
    return org.apache.pekko.http.javadsl.ConnectionContext.httpsServer(() -> {
      javax.net.ssl.SSLEngine engine = tls.get().createSSLEngine();
      engine.setUseClientMode(false);
      return engine;
    });
  }

  /** Trust managers for the CA certificates in {@code caFile} (one PEM after the other while a CA rotates). */
  public static TrustManagerFactory trusting(Path caFile) throws IOException, GeneralSecurityException {
    CertificateFactory x509 = CertificateFactory.getInstance("X.509");
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    int i = 0;
    for (Certificate ca : x509.generateCertificates(new ByteArrayInputStream(Files.readAllBytes(caFile)))) {
      trust.setCertificateEntry("ca-" + i++, ca);
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    return tmf;
  }

  /** A client's context that trusts only the CA certificates of {@code caFile} (no certificate of its own). */
  public static SSLContext trustingOnly(Path caFile) {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, trusting(caFile).getTrustManagers(), null);
      return context;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot read the CA certificate " + caFile + ": " + e.getMessage(), e);
    }
  }
}
