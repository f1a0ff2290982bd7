package io.rackshare.testkit;

import io.rackshare.access.BlockDevice;
import io.rackshare.management.BladeStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A cluster of Rackshare blades for a failover test: started from a {@link ClusterSpec}, in the
 * test's JVM ({@link ClusterSpec#inOneJvm()}) or as separate JVMs ({@link
 * ClusterSpec#separateJvms()}), behind this one API. Blades are killed, restarted and partitioned
 * by slot; the awaits poll every running blade's status until a deadline and fail with the last
 * status seen.
 *
 * <pre>{@code
 * try (RackshareCluster cluster = RackshareCluster.start(spec, dir)) {
 *   VerifyingWriter writer = VerifyingWriter.start(cluster.blockDevice(1, "m0"), VerifyingWriter.Options.defaults());
 *   cluster.kill(3);
 *   cluster.awaitRebuilt("m0", Duration.ofSeconds(60));
 *   writer.stop();
 *   writer.verifyAll(cluster.blockDevice(2, "m0"));
 * }
 * }</pre>
 *
 * <p>{@link RackshareExtension} starts clusters in a directory per test and keeps the blades' logs
 * of a failed test.
 */
public interface RackshareCluster extends AutoCloseable {

  /**
   * Starts every blade of {@code spec} with its data under {@code dir} and waits until each serves
   * the declared volumes, then creates the pooled ones.
   *
   * @param spec what to start
   * @param dir where each blade keeps its data, configuration and log ({@code blade<slot>/})
   * @return the running cluster
   * @throws Exception when a blade does not start or a volume is not served in time
   */
  static RackshareCluster start(ClusterSpec spec, Path dir) throws Exception {
    AbstractCluster c = spec.mode() == ClusterSpec.Mode.IN_ONE_JVM ? new InJvmCluster(spec, dir) : new JvmCluster(spec, dir);
    try {
      c.start();
      return c;
    } catch (Exception | Error e) {
      c.close();
      throw e;
    }
  }

  /** The spec it was started from. */
  ClusterSpec spec();

  /** The directory holding every blade's data directory and log. */
  Path dir();

  /** Blade {@code slot}'s data directory (its disk files, configuration, log). */
  Path dataDir(int slot);

  /** The slots of running blades (not killed; partitioned ones count as running). */
  List<Integer> running();

  /**
   * Kills blade {@code slot} without any goodbye. For separate JVMs it is SIGKILL. In one JVM it
   * is the closest thing: its Artery transport first drops everything to and from the other
   * blades (so no "leaving" reaches them), then its ActorSystem is terminated, which closes its
   * sockets as a dying process's kernel would; its disk files stay, its memory is lost.
   *
   * @param slot the blade
   * @throws Exception when the blade cannot be stopped
   */
  void kill(int slot) throws Exception;

  /**
   * Starts blade {@code slot} again on its disk files (after {@link #kill} or a partition that
   * made it stop), joining through the running blades, and waits until it serves the volumes.
   *
   * @param slot the blade
   * @throws Exception when it does not come back in time
   */
  void restart(int slot) throws Exception;

  /**
   * Cuts blade {@code slot} off every other blade: nothing reaches it, it reaches nobody. Separate
   * JVMs: its network namespace's cable is taken out (only when the spec asked for namespaces and
   * the machine allows them). One JVM: an Artery blackhole (Pekko's test transport,
   * {@code pekko.remote.artery.advanced.test-mode}), which cuts the control plane; the other
   * blades then find it unreachable and the side without the majority downs itself (its
   * ActorSystem stops, as a real cut-off blade's would after the split-brain resolver's decision).
   *
   * @param slot the blade
   * @throws Exception when the cut cannot be made
   * @throws UnsupportedOperationException where this cluster cannot partition, saying what is missing
   */
  void partition(int slot) throws Exception;

  /**
   * Undoes {@link #partition}. A blade that downed itself meanwhile stays down: {@link #restart} it.
   *
   * @param slot the blade
   * @throws Exception when the cut cannot be undone
   */
  void heal(int slot) throws Exception;

  /**
   * Blade {@code slot}'s status now, as {@code GET /status} serves it.
   *
   * @param slot a running blade
   * @return its status
   * @throws Exception when the blade does not answer
   */
  BladeStatus status(int slot) throws Exception;

  /**
   * Waits until every running blade names the same blade as the manager, and it is running.
   *
   * @param deadline how long to wait
   * @return the manager's slot
   * @throws AssertionError with the last status seen when it does not happen in time
   */
  int awaitManager(Duration deadline) throws Exception;

  /**
   * Waits until every running blade names the same blade as the manager's live backup (not the
   * manager's blade), and it is running.
   *
   * @param deadline how long to wait
   * @return the backup's slot
   * @throws AssertionError with the last status seen when it does not happen in time
   */
  int awaitBackup(Duration deadline) throws Exception;

  /**
   * Waits until every running blade reports {@code volume} with {@code health} ({@code OPTIMAL},
   * {@code DEGRADED}, {@code FAILED}, ...).
   *
   * @param volume the volume's name
   * @param health the health status shows
   * @param deadline how long to wait
   * @throws AssertionError with the last status seen when it does not happen in time
   */
  void awaitVolumeHealth(String volume, String health, Duration deadline) throws Exception;

  /**
   * Waits until {@code volume} is whole again on every running blade's map: OPTIMAL, every
   * member ACTIVE, no rebuild in progress, and no member on a killed or partitioned blade (so it
   * does not return before the failure was even noticed).
   *
   * @param volume the volume's name
   * @param deadline how long to wait
   * @throws AssertionError with the last status seen when it does not happen in time
   */
  void awaitRebuilt(String volume, Duration deadline) throws Exception;

  /**
   * {@code volume} as a {@link BlockDevice} used through blade {@code slot}: in one JVM that
   * blade's Java API ({@code Rackshare.awaitVolume}); for separate JVMs an NBD client of that
   * blade's export ({@link NbdBlockDevice}), closed with the cluster.
   *
   * @param slot the blade
   * @param volume the volume's name
   * @return the device
   * @throws Exception when the blade does not serve it
   */
  BlockDevice blockDevice(int slot, String volume) throws Exception;

  /**
   * The NBD URI of {@code volume} on blade {@code slot} ({@code nbd://127.0.0.1:port/volume}), for
   * qemu-io, nbdcopy, fio.
   *
   * @param slot the blade
   * @param volume the volume's name
   * @return the URI
   */
  String nbdUri(int slot, String volume);

  /**
   * Blade {@code slot}'s log file (separate JVMs: its stdout and stderr; one JVM: the lines its
   * ActorSystem logged, when logback is the SLF4J backend).
   *
   * @param slot the blade
   * @return the file
   */
  Path log(int slot);

  /**
   * The first line of blade {@code slot}'s {@link #log} that contains {@code text}, waiting for it
   * until {@code deadline} (separate JVMs: this run's log, a {@link #restart} starts a new one; one
   * JVM: the blade's log goes on across restarts, and needs logback): how a test learns
   * where a {@link ClusterSpec.Builder#service service} on the blade listens, when the service logs
   * it (for example {@code "LOG-SERVICE READY ... http=http://127.0.0.1:41234"}).
   *
   * @param slot a running blade
   * @param text what the line contains
   * @param deadline how long to wait
   * @return the whole line
   * @throws AssertionError when no such line appears in time or the blade stops meanwhile
   */
  String awaitLogLine(int slot, String text, Duration deadline) throws Exception;

  /** Stops every blade (separate JVMs: SIGTERM, then SIGKILL after 20 s). */
  @Override
  void close();
}
