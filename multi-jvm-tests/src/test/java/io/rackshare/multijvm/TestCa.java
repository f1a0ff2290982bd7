package io.rackshare.multijvm;

import io.rackshare.tls.ClusterCa;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The multi-JVM tests' cluster CA ({@code target/multi-jvm/cluster-ca}), made once per test JVM:
 * every blade a test starts gets a certificate of it, as a real cluster's blades do, since the
 * out-of-band channel runs under mutual TLS by default.
 */
final class TestCa {
  private TestCa() {}

  private static ClusterCa ca;

  static synchronized ClusterCa get() {
    if (ca == null) {
      try {
        ca = ClusterCa.create(TestDirs.fresh("cluster-ca"), "rackshare");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return ca;
  }
}
