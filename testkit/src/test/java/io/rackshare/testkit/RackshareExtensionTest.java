package io.rackshare.testkit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the extension keeps of a test: everything when it failed, nothing when it passed. */
class RackshareExtensionTest {

  @TempDir Path tmp;

  @Test
  void aFailedTestKeepsItsBladesLogsAndAPassedOneDeletesThem() throws Exception {
    RackshareExtension e = new RackshareExtension();
    Path failed = tmp.resolve("failed");
    e.begin(failed);
    Files.createDirectories(e.dir().resolve("cluster1/blade1"));
    Files.writeString(e.dir().resolve("cluster1/blade1/node.log"), "a blade's log");
    e.finish(true);
    assertTrue(Files.exists(failed.resolve("cluster1/blade1/node.log")));

    Path passed = tmp.resolve("passed");
    e.begin(passed);
    Files.createDirectories(e.dir().resolve("cluster1/blade1"));
    Files.writeString(e.dir().resolve("cluster1/blade1/node.log"), "a blade's log");
    e.finish(false);
    assertFalse(Files.exists(passed));
    assertTrue(Files.exists(failed), "a kept directory stays beside");

    Path alone = tmp.resolve("class").resolve("passed");
    e.begin(alone);
    Files.createDirectories(alone);
    e.finish(false);
    assertFalse(Files.exists(tmp.resolve("class")), "an empty class directory goes too");
  }

  @Test
  void aTestStartsInAnEmptyDirectory() throws Exception {
    Path dir = tmp.resolve("again");
    Files.createDirectories(dir.resolve("cluster1"));
    RackshareExtension e = new RackshareExtension();
    e.begin(dir);
    assertFalse(Files.exists(dir.resolve("cluster1")), "the last run's files are gone");
  }
}
