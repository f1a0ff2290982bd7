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
        """));
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
}
