package io.rackshare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.rackshare.manager.Pool;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@code rackshare.pool}: its defaults and clear errors for bad values. */
class PoolSettingsTest {

  static Pool.Settings pool(String hocon) {
    return RackshareSettings.pool(ConfigFactory.parseString(hocon).withFallback(ConfigFactory.load())
        .getConfig("rackshare"));
  }

  @Test
  void drainsMoveTwoMembersAtOnceAndRetryAFailedTargetsBladeAfter30sUnlessConfigured() {
    Pool.Settings d = pool("");
    assertEquals(2, d.maxMoves());
    assertEquals(Duration.ofSeconds(30), d.moveRetryAfter());
    Pool.Settings c = pool("rackshare.pool { max-moves = 4, move-retry-after = 5s }");
    assertEquals(4, c.maxMoves());
    assertEquals(Duration.ofSeconds(5), c.moveRetryAfter());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pool("rackshare.pool.max-moves = 0"));
    assertTrue(e.getMessage().contains("rackshare.pool.max-moves must be at least 1"), e.getMessage());
  }
}
