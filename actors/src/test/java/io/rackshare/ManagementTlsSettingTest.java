package io.rackshare;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@code rackshare.management.tls}: HTTPS wherever the endpoint is reached from beyond this host. */
class ManagementTlsSettingTest {

  @Test
  void autoMeansHttpsBeyondLoopbackAndRefusesToServePlainThere() {
    assertFalse(RackshareSettings.https("auto", "127.0.0.1", ""), "loopback: this host's clients only");
    assertFalse(RackshareSettings.https("auto", "localhost", "/etc/rackshare/tls"));
    assertTrue(RackshareSettings.https("auto", "0.0.0.0", "/etc/rackshare/tls"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RackshareSettings.https("auto", "0.0.0.0", ""));
    assertTrue(e.getMessage().contains("rackshare.management.tls = off serves plain HTTP"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> RackshareSettings.https("on", "127.0.0.1", ""));
    assertFalse(RackshareSettings.https("off", "0.0.0.0", ""), "off is the operator's explicit choice");
    assertThrows(IllegalArgumentException.class, () -> RackshareSettings.https("maybe", "127.0.0.1", ""));
  }
}
