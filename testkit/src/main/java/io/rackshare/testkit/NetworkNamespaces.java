package io.rackshare.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Hosts of their own on this machine: one network namespace per blade, each with a veth pair to a
 * bridge in a hub namespace, and one more pair from the bridge to this (the test's) namespace, so
 * that the test reaches every blade and the blades reach the journal it serves. Cutting a blade's
 * link ({@link #cut}) takes its cable out of the bridge: the blade keeps its address and its own
 * clients (run inside its namespace, {@link #inside}), and reaches nobody else.
 *
 * <p>Made and removed by the test that uses it ({@link #close}, also after a failure); a machine
 * that does not allow namespaces makes {@link #unavailable} say why, and the test skips. {@link
 * ClusterSpec.Builder#networkNamespaces()} puts a {@link RackshareCluster}'s blades in them.
 */
public final class NetworkNamespaces implements AutoCloseable {

  private static final Duration T = Duration.ofSeconds(30);

  private final String id;
  private final int subnet;
  private final int blades;
  private final List<String> made = new ArrayList<>();
  private boolean hostLink;

  /**
   * Why namespaces cannot be used here, if they cannot.
   *
   * @return the reason, or empty when they can
   */
  public static Optional<String> unavailable() {
    if (!"root".equals(System.getProperty("user.name"))) {
      return Optional.of("network namespaces need root (the tests run as " + System.getProperty("user.name") + ")");
    }
    String probe = "rsprobe" + ThreadLocalRandom.current().nextInt(1 << 20);
    Result add = run("ip", "netns", "add", probe);
    if (add.exit() != 0) return Optional.of("ip netns add failed: " + add.out().strip());
    Result veth = run("ip", "-n", probe, "link", "add", "a0", "type", "veth", "peer", "name", "b0");
    run("ip", "netns", "delete", probe);
    if (veth.exit() != 0) return Optional.of("veth pairs cannot be made: " + veth.out().strip());
    return Optional.empty();
  }

  /**
   * Namespaces for blades 1 to {@code blades} on a fresh 10.77.x.0/24.
   *
   * @param blades how many
   */
  public NetworkNamespaces(int blades) {
    this.id = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0x10000));
    this.subnet = ThreadLocalRandom.current().nextInt(1, 250);
    this.blades = blades;
    try {
      String hub = ns(0);
      add(hub);
      ip("-n", hub, "link", "add", "br0", "type", "bridge");
      ip("-n", hub, "link", "set", "br0", "up");
      ip("-n", hub, "link", "set", "lo", "up");
      for (int b = 1; b <= blades; b++) {
        String ns = ns(b);
        add(ns);
        ip("-n", ns, "link", "set", "lo", "up");
        // The blade's end is eth0 in its namespace; the hub's end is h<b> on the bridge.
        ip("-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", "h" + b, "netns", hub);
        ip("-n", ns, "addr", "add", address(b) + "/24", "dev", "eth0");
        ip("-n", ns, "link", "set", "eth0", "up");
        ip("-n", hub, "link", "set", "h" + b, "master", "br0");
        ip("-n", hub, "link", "set", "h" + b, "up");
      }
      // This namespace's cable to the bridge (names in the initial namespace must be unique).
      ip("link", "add", hostVeth(), "type", "veth", "peer", "name", "host", "netns", hub);
      hostLink = true;
      ip("addr", "add", hostAddress() + "/24", "dev", hostVeth());
      ip("link", "set", hostVeth(), "up");
      ip("-n", hub, "link", "set", "host", "master", "br0");
      ip("-n", hub, "link", "set", "host", "up");
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  private String ns(int b) {
    return "rs" + id + (b == 0 ? "hub" : "b" + b);
  }

  private String hostVeth() {
    return "rs" + id + "h";
  }

  /**
   * Blade {@code b}'s address.
   *
   * @param b the blade
   * @return 10.77.x.b
   */
  public String address(int b) {
    return "10.77." + subnet + "." + b;
  }

  /**
   * The test's own address on the bridge (where a journal server the blades reach listens).
   *
   * @return 10.77.x.254
   */
  public String hostAddress() {
    return "10.77." + subnet + ".254";
  }

  /**
   * {@code command} run inside blade {@code b}'s namespace.
   *
   * @param b the blade
   * @param command the command (empty: the prefix alone, for a process launcher)
   * @return {@code ip netns exec NS command...}
   */
  public List<String> inside(int b, List<String> command) {
    List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns(b)));
    c.addAll(command);
    return c;
  }

  /**
   * Takes blade {@code b}'s cable out: it reaches nobody, nobody reaches it.
   *
   * @param b the blade
   */
  public void cut(int b) {
    ip("-n", ns(0), "link", "set", "h" + b, "down");
  }

  /**
   * Puts blade {@code b}'s cable back.
   *
   * @param b the blade
   */
  public void heal(int b) {
    ip("-n", ns(0), "link", "set", "h" + b, "up");
  }

  private void add(String ns) {
    ip("netns", "add", ns);
    made.add(ns);
  }

  private static void ip(String... args) {
    List<String> c = new ArrayList<>(List.of("ip"));
    c.addAll(List.of(args));
    Result r = run(c.toArray(String[]::new));
    if (r.exit() != 0) throw new IllegalStateException(String.join(" ", c) + " failed (" + r.exit() + "): " + r.out());
  }

  private record Result(int exit, String out) {}

  /** Runs {@code command}, its output and errors together. */
  private static Result run(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(T.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return new Result(-1, String.join(" ", command) + " still ran after " + T);
      }
      return new Result(p.exitValue(), new String(out, java.nio.charset.StandardCharsets.UTF_8));
    } catch (java.io.IOException e) {
      return new Result(-1, String.valueOf(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(-1, "interrupted");
    }
  }

  /** Removes every namespace and link it made. */
  @Override
  public void close() {
    if (hostLink) run("ip", "link", "delete", hostVeth());
    hostLink = false;
    // Deleting a namespace deletes the veth ends in it, and so the pairs.
    for (int i = made.size() - 1; i >= 0; i--) run("ip", "netns", "delete", made.get(i));
    made.clear();
  }

  /**
   * How many blades it has namespaces for.
   *
   * @return the count
   */
  public int blades() {
    return blades;
  }
}
