package io.rackshare.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

class RackshareNodeTest {

  @Test
  void theOobAddressBecomesTheArteryAddressAndSeedsBecomePekkoAddresses() {
    Config c = RackshareNode.nodeConfig(ConfigFactory.parseString("""
        rackshare.oob { hostname = "10.1.2.3", port = 25601, bind-hostname = "0.0.0.0" }
        rackshare.public.hostname = "192.0.2.10"
        rackshare.seed-nodes = ["10.1.2.3:25601", "10.1.2.4:25601"]
        rackshare.tls.enabled = off
        """));
    assertEquals("tcp", c.getString("pekko.remote.artery.transport"));
    assertEquals("10.1.2.3", c.getString("pekko.remote.artery.canonical.hostname"));
    assertEquals(25601, c.getInt("pekko.remote.artery.canonical.port"));
    assertEquals("0.0.0.0", c.getString("pekko.remote.artery.bind.hostname"));
    assertEquals(List.of("pekko://rackshare@10.1.2.3:25601", "pekko://rackshare@10.1.2.4:25601"),
        c.getStringList("rackshare.join-seed-nodes"));
    // Joined by the node once its runtime is up, not by Pekko as the actor system starts.
    assertEquals(List.of(), c.getStringList("pekko.cluster.seed-nodes"));
    // The public address stays apart from the OOB channel.
    assertEquals("192.0.2.10", c.getString("rackshare.public.hostname"));
    assertEquals("cluster", c.getString("pekko.actor.provider"));
    assertEquals("org.apache.pekko.cluster.sbr.SplitBrainResolverProvider",
        c.getString("pekko.cluster.downing-provider-class"));
  }

  @Test
  void badSeedsAndPortsAreClearErrors() {
    for (String bad : List.of("[\"10.1.2.3\"]", "[\"10.1.2.3:http\"]", "[\"10.1.2.3:70000\"]")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> RackshareNode.nodeConfig(ConfigFactory.parseString("rackshare.seed-nodes = " + bad)));
      assertTrue(e.getMessage().startsWith("rackshare.seed-nodes"), e.getMessage());
    }
    assertThrows(IllegalArgumentException.class,
        () -> RackshareNode.nodeConfig(ConfigFactory.parseString("rackshare.oob.port = 99999")));
  }

  @Test
  void theOobChannelRunsMutualTlsWithTheBladesCertificateAndNeedsOne(@org.junit.jupiter.api.io.TempDir
      java.nio.file.Path dir) throws Exception {
    IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
        () -> RackshareNode.nodeConfig(ConfigFactory.empty()));
    assertTrue(none.getMessage().startsWith("rackshare.tls.dir is not set"), none.getMessage());

    java.nio.file.Path blade = io.rackshare.tls.ClusterCa.create(dir.resolve("ca"), "rackshare")
        .issue("blade1", List.of("127.0.0.1"), dir.resolve("blade1"));
    Config c = RackshareNode.nodeConfig(ConfigFactory.parseString("rackshare.tls.dir = \"" + blade + "\""));
    assertEquals("tls-tcp", c.getString("pekko.remote.artery.transport"));
    assertEquals("org.apache.pekko.remote.artery.tcp.ssl.RotatingKeysSSLEngineProvider",
        c.getString("pekko.remote.artery.ssl.ssl-engine-provider"));
    assertEquals(blade.resolve("tls.key").toString(), c.getString("pekko.remote.artery.ssl.rotating-keys-engine.key-file"));
    assertEquals(blade.resolve("ca.crt").toString(), c.getString("pekko.remote.artery.ssl.rotating-keys-engine.ca-cert-file"));

    java.nio.file.Files.delete(blade.resolve("tls.key"));
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
        () -> RackshareNode.nodeConfig(ConfigFactory.parseString("rackshare.tls.dir = \"" + blade + "\"")));
    assertTrue(missing.getMessage().contains("cannot read " + blade.resolve("tls.key")), missing.getMessage());
  }
}
