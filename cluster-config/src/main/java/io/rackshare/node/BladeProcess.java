package io.rackshare.node;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One blade as a real, separate JVM: {@code rackshare node --config FILE} on this JVM's class
 * path. Its stdout and stderr go to a log file next to its config (kept for failure analysis).
 * The demo starts its blades with it, and so do the multi-JVM tests.
 */
public final class BladeProcess implements AutoCloseable {

  private final String name;
  private final Process process;
  private final Path log;

  private BladeProcess(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  /** Starts {@code rackshare node} with {@code configHocon} written to {@code dir/node.conf}. */
  public static BladeProcess start(String name, Path dir, String configHocon) throws IOException {
    return start(name, dir, configHocon, List.of());
  }

  /**
   * As above, with a certificate for the blade issued by {@code ca} into {@code dir/tls} for
   * {@code addresses} (its host names and IP addresses), which the configuration then names
   * ({@code rackshare.tls.dir}); the command run through {@code prefix}.
   */
  public static BladeProcess start(String name, Path dir, String configHocon, List<String> prefix,
      io.rackshare.tls.ClusterCa ca, List<String> addresses) throws IOException {
    Path tls = ca.issue(name, addresses, dir.resolve("tls"));
    return start(name, dir, configHocon + "\nrackshare.tls.dir = \"" + tls.toAbsolutePath() + "\"\n", prefix);
  }

  /** As above, on loopback ({@code 127.0.0.1}, {@code localhost}), with no prefix. */
  public static BladeProcess start(String name, Path dir, String configHocon, io.rackshare.tls.ClusterCa ca)
      throws IOException {
    return start(name, dir, configHocon, List.of(), ca, List.of("127.0.0.1", "localhost"));
  }

  /**
   * As above, the command run through {@code prefix} (e.g. {@code ip netns exec NS}, so that the
   * blade has a network stack of its own).
   */
  public static BladeProcess start(String name, Path dir, String configHocon, List<String> prefix) throws IOException {
    Files.createDirectories(dir);
    Path config = dir.resolve("node.conf");
    Files.writeString(config, configHocon);
    Path log = dir.resolve("node.log");
    List<String> cmd = new ArrayList<>(prefix);
    cmd.addAll(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        // 1 MiB block buffers are humongous objects in G1's default regions of a small heap.
        "-Xmx512m", "-XX:G1HeapRegionSize=8m"));
    cmd.addAll(jvmOptions());
    cmd.addAll(List.of(
        "-cp", System.getProperty("java.class.path"),
        "io.rackshare.node.RackshareCli", "node", "--config", config.toString()));
    Process p = new ProcessBuilder(cmd)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    return new BladeProcess(name, p, log);
  }

  /** The system property whose JVM options (separated by spaces) every blade JVM started here gets. */
  public static final String JVM_OPTIONS = "rackshare.blade.jvm-options";

  /**
   * The blade JVMs' extra options, from {@link #JVM_OPTIONS}: the test suites set {@code
   * -XX:TieredStopAtLevel=1} there (the root pom), since a blade that lives for a test spends
   * about 40% less CPU starting with C1 alone than with C2's compilations too, which pay off only
   * in a long life; the demo and the benchmarks start blades with the JVM's defaults.
   */
  static List<String> jvmOptions() {
    String options = System.getProperty(JVM_OPTIONS, "").strip();
    return options.isEmpty() ? List.of() : List.of(options.split("\\s+"));
  }

  public String name() {
    return name;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public long pid() {
    return process.pid();
  }

  public Path log() {
    return log;
  }

  /** The first log line starting with {@code prefix}, waiting for it up to {@code timeout}. */
  public String awaitLine(String prefix, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Optional<String> line = lines().stream().filter(l -> l.startsWith(prefix)).findFirst();
      if (line.isPresent()) return line.get();
      if (!process.isAlive()) {
        throw new IllegalStateException(name + " exited with " + process.exitValue() + " before '"
            + prefix + "'; its log:\n" + String.join("\n", lines()));
      }
      // Polling a log file a child process writes: there is no event to wait on.
      Thread.sleep(100);
    }
    throw new IllegalStateException(name + " printed no '" + prefix + "' within " + timeout
        + "; its log:\n" + String.join("\n", lines()));
  }

  /** Waits for the process to end and returns its exit code. */
  public int awaitExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException(name + " still runs after " + timeout);
    }
    return process.exitValue();
  }

  public List<String> lines() {
    try {
      return Files.readAllLines(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return List.of();
    }
  }

  /** SIGTERM without waiting: the blade leaves the cluster and stops (see {@link #close}). */
  public void terminate() {
    process.destroy();
  }

  /** SIGKILL: the blade dies without any goodbye. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(20, TimeUnit.SECONDS)) kill();
    }
  }
}
