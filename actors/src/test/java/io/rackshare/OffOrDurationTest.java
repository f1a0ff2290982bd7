package io.rackshare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Settings that take "off" or a duration (rackshare.manager.replace-failed-after). */
class OffOrDurationTest {
  static Duration parse(String value) {
    return RackshareSettings.offOrDuration(ConfigFactory.parseString("manager.x = " + value), "manager.x");
  }

  @Test
  void offIsNullAndADurationIsItself() {
    assertNull(parse("off"));
    assertNull(parse("false"));
    assertEquals(Duration.ofMinutes(10), parse("10m"));
    assertEquals(Duration.ofMillis(1500), parse("1500ms"));
  }

  @Test
  void zeroNegativeAndNonsenseAreRefused() {
    assertEquals("rackshare.manager.x: off or a positive duration, not PT0S",
        assertThrows(IllegalArgumentException.class, () -> parse("0s")).getMessage());
    assertThrows(IllegalArgumentException.class, () -> parse("-1s"));
    assertThrows(RuntimeException.class, () -> parse("soon"));
  }
}
