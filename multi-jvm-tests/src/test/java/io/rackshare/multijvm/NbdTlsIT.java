package io.rackshare.multijvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.node.BladeProcess;
import io.rackshare.testkit.Tool;
import io.rackshare.tls.ClusterCa;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * NBD over TLS with real clients: a blade with {@code rackshare.nbd.tls = require} and client
 * certificates verified serves libnbd's {@code nbds://} (nbdinfo, nbdcopy) and qemu-io with
 * {@code tls-creds-x509}, each with a client certificate of the cluster's CA; it refuses a plain
 * client (NBD_REP_ERR_TLS_REQD) and a client whose certificate another CA signed.
 */
class NbdTlsIT {

  static final Duration T = Duration.ofSeconds(60);
  static final Path dir = TestDirs.fresh(NbdTlsIT.class);
  static final Pattern READY = Pattern.compile("RACKSHARE READY .* nbd=(\\S+) .*");
  static BladeProcess blade;
  static String host;
  static int port;
  static Path client;
  static Path stranger;

  /**
   * A client's certificate directory as libnbd and qemu name its files: a certificate {@code ca}
   * issued, trusting the cluster's CA (so that the server, not the client, is the one to refuse).
   */
  static Path clientDir(ClusterCa ca, String name) throws Exception {
    Path issued = ca.issue(name, List.of(), dir.resolve(name + "-issued"));
    Path d = Files.createDirectories(dir.resolve(name));
    Files.copy(TestCa.get().issue("trust", List.of(), dir.resolve(name + "-trust")).resolve("ca.crt"),
        d.resolve("ca-cert.pem"));
    Files.copy(issued.resolve("tls.crt"), d.resolve("client-cert.pem"));
    Files.copy(issued.resolve("tls.key"), d.resolve("client-key.pem"));
    return d;
  }

  @BeforeAll
  static void start() throws Exception {
    Path d = dir.resolve("blade1");
    blade = BladeProcess.start("blade1", d, """
        rackshare {
          blade { slot = 1, data-dir = "%s", disks = [{ file = disk0.img, size = 16MiB }] }
          oob { hostname = "127.0.0.1", port = 0 }
          nbd { port = 0, tls { mode = require, verify-clients = on } }
          management.port = 0
          volumes = [{ name = v0, layout = span, members = ["Rack(1)/Chassis(1)/Blade(1)/Disk(0)"] }]
        }
        """.formatted(d), TestCa.get());
    Matcher m = READY.matcher(blade.awaitLine("RACKSHARE READY", T));
    assertTrue(m.matches());
    java.net.URI nbd = java.net.URI.create(m.group(1));
    host = nbd.getHost();
    port = nbd.getPort();
    client = clientDir(TestCa.get(), "client");
    stranger = clientDir(ClusterCa.create(dir.resolve("other-ca"), "rackshare"), "stranger");
  }

  @AfterAll
  static void stop() throws Exception {
    if (blade != null) blade.close();
  }

  static String nbds(Path certificates) {
    return "nbds://" + host + ":" + port + "/v0?tls-certificates=" + certificates;
  }

  @Test
  void aPlainClientIsToldTlsIsRequired() {
    Tool.Result plain = Tool.run(T, "nbdinfo", "nbd://" + host + ":" + port + "/v0");
    assertNotEquals(0, plain.exit(), plain.out());
    assertTrue(plain.out().toLowerCase().contains("tls"), "the refusal names TLS: " + plain.out());
  }

  @Test
  void libnbdWithTheClustersCertificateReadsAndCopies() throws Exception {
    Tool.Result info = Tool.run(T, "nbdinfo", nbds(client));
    info.ok();
    assertTrue(info.out().contains("16777216"), info.out());
    byte[] data = new byte[4 << 20];
    new Random(13).nextBytes(data);
    Path in = Files.write(dir.resolve("in.img"), data);
    Path out = dir.resolve("out.img");
    Tool.run(T, "nbdcopy", in.toString(), nbds(client)).ok();
    Tool.run(T, "nbdcopy", nbds(client), out.toString()).ok();
    assertArrayEquals(data, java.util.Arrays.copyOf(Files.readAllBytes(out), data.length),
        "the bytes came back through TLS");
  }

  @Test
  void qemuIoWithTlsCredsX509WritesAndReadsBack() {
    Tool.run(T, "qemu-io", "--object", "tls-creds-x509,id=tls0,dir=" + client + ",endpoint=client",
        "--image-opts", "driver=nbd,host=" + host + ",port=" + port + ",export=v0,tls-creds=tls0",
        "-c", "write -P 0x6b 8M 1M", "-c", "read -P 0x6b 8M 1M").ok();
  }

  @Test
  void aCertificateOfAnotherCaIsRefused() throws Exception {
    Tool.Result r = Tool.run(T, "nbdinfo", nbds(stranger));
    assertNotEquals(0, r.exit(), r.out());
    // The blade refused it (the client trusted the blade): its log says why. (Polling the log
    // file a child process writes: there is no event to wait on.)
    long deadline = System.nanoTime() + T.toNanos();
    String log = "";
    while (System.nanoTime() < deadline && !(log = Files.readString(blade.log())).contains("TLS handshake failed")) {
      Thread.sleep(100);
    }
    assertTrue(log.lines().anyMatch(l -> l.contains("TLS handshake failed") && !l.contains("Connection reset")),
        "the blade refused the certificate: " + log.lines().filter(l -> l.contains("TLS")).toList());
  }
}
