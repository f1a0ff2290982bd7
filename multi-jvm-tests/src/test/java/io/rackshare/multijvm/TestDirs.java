package io.rackshare.multijvm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A fresh directory per test class under {@code target/multi-jvm/}, where each blade JVM keeps its
 * configuration, disks and log. It is emptied when the class starts and kept afterwards, so the
 * logs of a failed run can be read (CI keeps the workspace).
 */
final class TestDirs {
  private TestDirs() {}

  static Path fresh(Class<?> testClass) {
    return fresh(testClass.getSimpleName());
  }

  /** As above, for one test of a class: {@code target/multi-jvm/<name>}. */
  static Path fresh(String name) {
    Path dir = Path.of("target", "multi-jvm", name).toAbsolutePath();
    try {
      if (Files.exists(dir)) {
        try (Stream<Path> paths = Files.walk(dir)) {
          paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
      return Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
