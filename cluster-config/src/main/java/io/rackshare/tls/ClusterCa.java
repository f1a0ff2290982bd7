package io.rackshare.tls;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A cluster's certificate authority, and the certificates it issues to blades ({@code rackshare
 * certs}, the demo). Files are PEM, as Pekko's {@code RotatingKeysSSLEngineProvider} reads them:
 *
 * <pre>
 *   DIR/ca.crt, DIR/ca.key            the CA (the key stays with the operator, mode 0600)
 *   DIR/BLADE/tls.crt, tls.key, ca.crt  what one blade needs (rackshare.tls.dir = DIR/BLADE)
 * </pre>
 *
 * Every blade certificate has the cluster's name as its common name and as a DNS name: Artery
 * accepts a peer whose certificate is signed by the CA <em>and</em> shares a subject name with its
 * own ({@code PeerSubjectVerifier}), so a certificate of another cluster under the same CA is
 * refused too. Its other subject alternative names are the blade's addresses (host names and IP
 * addresses), which NBD clients that verify the server's name check. RSA 2048 keys (Pekko's PEM
 * reader takes RSA only), SHA-256 signatures.
 */
public final class ClusterCa {

  public static final String CA_CERT = io.rackshare.io.TlsContexts.CA;
  public static final String CA_KEY = "ca.key";
  public static final String CERT = io.rackshare.io.TlsContexts.CERT;
  public static final String KEY = io.rackshare.io.TlsContexts.KEY;

  /** How long a CA is valid, and a blade's certificate unless told otherwise. */
  public static final Duration CA_VALIDITY = Duration.ofDays(3650);
  public static final Duration BLADE_VALIDITY = Duration.ofDays(825);

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Pattern PEM = Pattern.compile(
      "-----BEGIN ([A-Z ]+)-----\\s*([A-Za-z0-9+/=\\s]+?)-----END \\1-----");

  private final String cluster;
  private final X509Certificate cert;
  private final PrivateKey key;

  private ClusterCa(String cluster, X509Certificate cert, PrivateKey key) {
    this.cluster = cluster;
    this.cert = cert;
    this.key = key;
  }

  /** The cluster's name: the common name of the CA and of every certificate it issues. */
  public String cluster() {
    return cluster;
  }

  public X509Certificate certificate() {
    return cert;
  }

  /** Makes a new CA for {@code cluster} in {@code dir}; refuses to replace one that is there. */
  public static ClusterCa create(Path dir, String cluster) throws IOException {
    if (cluster == null || !cluster.matches("[A-Za-z0-9][A-Za-z0-9.-]{0,62}")) {
      throw new IllegalArgumentException("cluster name '" + cluster + "' must be a DNS label or name (letters, digits,"
          + " '.', '-'; at most 63)");
    }
    Files.createDirectories(dir);
    if (Files.exists(dir.resolve(CA_KEY)) || Files.exists(dir.resolve(CA_CERT))) {
      throw new FileAlreadyExistsException(dir.resolve(CA_CERT).toString(), null,
          "a CA is already there (remove it to make a new one: every blade then needs a new certificate)");
    }
    KeyPair pair = rsa();
    Instant now = Instant.now();
    X500Name name = name(cluster, "cluster CA");
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(), Date.from(now.minusSeconds(300)),
          Date.from(now.plus(CA_VALIDITY)), name, pair.getPublic())
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
          .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
      X509Certificate ca = sign(b, pair.getPrivate());
      writePrivate(dir.resolve(CA_KEY), pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
      Files.writeString(dir.resolve(CA_CERT), pem("CERTIFICATE", ca.getEncoded()));
      return new ClusterCa(cluster, ca, pair.getPrivate());
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IOException("cannot make the cluster's CA: " + e.getMessage(), e);
    }
  }

  /** The CA in {@code dir} ({@code ca.crt} and {@code ca.key}). */
  public static ClusterCa load(Path dir) throws IOException {
    X509Certificate cert = readCertificate(dir.resolve(CA_CERT));
    PrivateKey key = readPrivateKey(dir.resolve(CA_KEY));
    String cn = commonName(cert);
    return new ClusterCa(cn, cert, key);
  }

  /** The CA in {@code dir}, made for {@code cluster} if there is none. */
  public static ClusterCa loadOrCreate(Path dir, String cluster) throws IOException {
    if (Files.exists(dir.resolve(CA_CERT))) {
      ClusterCa ca = load(dir);
      if (!ca.cluster().equals(cluster)) {
        throw new IOException("the CA in " + dir + " is cluster '" + ca.cluster() + "', not '" + cluster + "'");
      }
      return ca;
    }
    return create(dir, cluster);
  }

  /**
   * Issues {@code blade}'s certificate for {@code addresses} (host names or IP addresses) into
   * {@code out}: {@code tls.crt}, {@code tls.key} (mode 0600) and the CA's {@code ca.crt}. An
   * existing certificate there is replaced (rotation: the blade reads the new files within
   * {@code ssl-context-cache-ttl}, 5 minutes, without a restart).
   */
  public Path issue(String blade, List<String> addresses, Path out) throws IOException {
    return issue(blade, addresses, out, BLADE_VALIDITY);
  }

  public Path issue(String blade, List<String> addresses, Path out, Duration validity) throws IOException {
    checkName(blade);
    KeyPair pair = rsa();
    Instant now = Instant.now();
    List<GeneralName> sans = new ArrayList<>();
    sans.add(new GeneralName(GeneralName.dNSName, cluster));
    for (String a : addresses) {
      if (a.isBlank()) continue;
      sans.add(isIpLiteral(a) ? new GeneralName(GeneralName.iPAddress, a) : new GeneralName(GeneralName.dNSName, a));
    }
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(cert, serial(), Date.from(now.minusSeconds(300)),
          Date.from(now.plus(validity)), name(cluster, blade), pair.getPublic())
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment))
          .addExtension(Extension.extendedKeyUsage, false,
              new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}))
          .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(GeneralName[]::new)))
          .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()))
          .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(cert));
      X509Certificate issued = sign(b, key);
      Files.createDirectories(out);
      // The key first: a blade that sees the new certificate must find its key.
      writePrivate(out.resolve(KEY), pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
      Files.writeString(out.resolve(CERT), pem("CERTIFICATE", issued.getEncoded()));
      Files.writeString(out.resolve(CA_CERT), pem("CERTIFICATE", cert.getEncoded()));
      return out;
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IOException("cannot issue a certificate for " + blade + ": " + e.getMessage(), e);
    }
  }

  // --- reading PEM -------------------------------------------------------------------------

  public static X509Certificate readCertificate(Path file) throws IOException {
    byte[] der = der(file, "CERTIFICATE");
    try {
      return (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new java.io.ByteArrayInputStream(der));
    } catch (GeneralSecurityException e) {
      throw new IOException(file + ": not an X.509 certificate (" + e.getMessage() + ")", e);
    }
  }

  public static PrivateKey readPrivateKey(Path file) throws IOException {
    byte[] der = der(file, "PRIVATE KEY");
    try {
      return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (GeneralSecurityException e) {
      throw new IOException(file + ": not an RSA private key in PKCS#8 (" + e.getMessage() + ")", e);
    }
  }

  /** The common name of {@code cert}'s subject. */
  public static String commonName(X509Certificate cert) throws IOException {
    try {
      for (javax.naming.ldap.Rdn rdn : new javax.naming.ldap.LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) return rdn.getValue().toString();
      }
    } catch (javax.naming.InvalidNameException e) {
      throw new IOException("unreadable subject " + cert.getSubjectX500Principal(), e);
    }
    throw new IOException("no common name in " + cert.getSubjectX500Principal());
  }

  private static byte[] der(Path file, String label) throws IOException {
    if (!Files.isReadable(file)) throw new IOException("cannot read " + file);
    Matcher m = PEM.matcher(Files.readString(file, StandardCharsets.US_ASCII));
    while (m.find()) {
      if (m.group(1).equals(label)) return Base64.getMimeDecoder().decode(m.group(2));
    }
    throw new IOException(file + ": no PEM block '" + label + "'");
  }

  // --- making ------------------------------------------------------------------------------

  private static KeyPair rsa() throws IOException {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(2048, RANDOM);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot make an RSA key: " + e.getMessage(), e);
    }
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey by)
      throws OperatorCreationException, GeneralSecurityException {
    return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withRSA").build(by)));
  }

  private static X500Name name(String cluster, String unit) {
    return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "Rackshare").addRDN(BCStyle.OU, unit)
        .addRDN(BCStyle.CN, cluster).build();
  }

  private static BigInteger serial() {
    return new BigInteger(127, RANDOM).add(BigInteger.ONE);
  }

  static String pem(String label, byte[] der) {
    return "-----BEGIN " + label + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END " + label + "-----\n";
  }

  /** Writes {@code text} readable by this user only, from its creation on. */
  private static void writePrivate(Path file, String text) throws IOException {
    Files.deleteIfExists(file);
    try {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      Files.createFile(file);
    }
    Files.writeString(file, text, StandardOpenOption.TRUNCATE_EXISTING);
  }

  private static boolean isIpLiteral(String a) {
    if (!a.matches("[0-9.]+|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*")) return false;
    try {
      InetAddress.getByName(a); // a literal: no lookup
      return true;
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  private static void checkName(String name) {
    if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9._()/-]{0,127}")) {
      throw new IllegalArgumentException("'" + name + "' is not a usable name (letters, digits, . _ - ( ) /; at most 128)");
    }
  }
}
