package io.rackshare.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A JUnit 5 extension that gives each test a directory for its clusters, stops every cluster it
 * started after the test, and keeps the directory (each blade's data directory and log) when the
 * test failed, deleting it when it passed. Register it on a field:
 *
 * <pre>{@code
 * @RegisterExtension
 * final RackshareExtension rackshare = new RackshareExtension();
 *
 * @Test
 * void failover() throws Exception {
 *   RackshareCluster cluster = rackshare.start(ClusterSpec.inOneJvm().blades(3, "16MiB")
 *       .raid1("m0", List.of(1, 2), List.of(3)).build());
 *   ...
 * }
 * }</pre>
 *
 * <p>The directory is {@code target/rackshare-testkit/<test class>/<test method>} under the
 * working directory (Maven's module directory), or under the system property {@code
 * rackshare.testkit.dir} when set.
 */
public final class RackshareExtension implements BeforeEachCallback, AfterEachCallback {

  private final List<RackshareCluster> clusters = new ArrayList<>();
  private Path dir;
  private int started;

  /** An extension with nothing started yet. */
  public RackshareExtension() {}

  /**
   * The root of the directories kept: {@code rackshare.testkit.dir} or {@code target/rackshare-testkit}.
   *
   * @return the root, absolute
   */
  public static Path root() {
    return Path.of(System.getProperty("rackshare.testkit.dir", "target/rackshare-testkit")).toAbsolutePath();
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    String test = context.getRequiredTestMethod().getName() + context.getDisplayName()
        .replaceAll("^[^(]*\\(\\)", "").replaceAll("[^A-Za-z0-9._-]", "_");
    begin(root().resolve(context.getRequiredTestClass().getName()).resolve(test));
  }

  /** Starts a test whose directory is {@code dir} (emptied first). */
  void begin(Path dir) {
    this.dir = dir;
    delete(dir);
    started = 0;
  }

  /**
   * Starts a cluster of {@code spec} in this test's directory ({@code cluster<n>/} for the n-th
   * cluster of the test), to be stopped after the test.
   *
   * @param spec what to start
   * @return the running cluster
   * @throws Exception when it does not start
   */
  public RackshareCluster start(ClusterSpec spec) throws Exception {
    RackshareCluster c = RackshareCluster.start(spec, dir().resolve("cluster" + (++started)));
    clusters.add(c);
    return c;
  }

  /**
   * This test's directory, kept when the test fails.
   *
   * @return the directory
   */
  public Path dir() {
    if (dir == null) throw new IllegalStateException("no test is running (register the extension with @RegisterExtension)");
    return dir;
  }

  @Override
  public void afterEach(ExtensionContext context) {
    for (int i = clusters.size() - 1; i >= 0; i--) clusters.get(i).close();
    clusters.clear();
    finish(context.getExecutionException().isPresent());
  }

  /**
   * Keeps this test's directory when {@code failed} (and says where on stderr), else deletes it.
   *
   * @param failed whether the test failed
   */
  void finish(boolean failed) {
    if (dir == null) return;
    if (failed) {
      System.err.println("rackshare-testkit: the blades' data and logs of the failed test are in " + dir);
    } else {
      delete(dir);
      try {
        Files.deleteIfExists(dir.getParent()); // the test class's directory, when no other test's is kept
      } catch (IOException e) {
        // DirectoryNotEmptyException: another test of the class kept its directory.
      }
    }
    dir = null;
  }

  private static void delete(Path dir) {
    if (!Files.exists(dir)) return;
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
