package io.rackshare.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The one port reservation, for blades whose port must be known before they start (a seed node's
 * address in the others' configuration): each port stays bound here until {@link #release} right
 * before its blade binds it. A port only picked and let go early (a {@code freePort()}) was taken
 * meanwhile by another blade JVM's ephemeral ports. Where no port must be known in advance, start
 * blades on port 0 and read the port they report, as {@link RackshareCluster} does.
 */
public final class ReservedPorts implements AutoCloseable {
  private final Map<Integer, Integer> ports = new TreeMap<>();
  private final Map<Integer, ServerSocket> held = new TreeMap<>();

  /**
   * Reserves a loopback port for each of keys 1 to {@code count} (blade slots, or any numbering).
   *
   * @param count how many
   */
  public ReservedPorts(int count) {
    try {
      for (int key = 1; key <= count; key++) {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress("127.0.0.1", 0));
        held.put(key, s);
        ports.put(key, s.getLocalPort());
      }
    } catch (IOException e) {
      close();
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The port reserved for {@code key}.
   *
   * @param key a key from 1 to the count
   * @return its port
   */
  public int port(int key) {
    Integer p = ports.get(key);
    if (p == null) throw new IllegalArgumentException("no port reserved for " + key + " (reserved: " + ports.keySet() + ")");
    return p;
  }

  /** Every reserved port as a seed node, {@code "127.0.0.1:p1", "127.0.0.1:p2"}, for {@code rackshare.seed-nodes = [...]}. */
  public String seeds() {
    return ports.values().stream().map(p -> "\"127.0.0.1:" + p + "\"").collect(Collectors.joining(", "));
  }

  /**
   * Lets {@code key}'s port go, right before its blade binds it (again: a no-op).
   *
   * @param key the key
   * @return its port
   */
  public int release(int key) {
    ServerSocket s = held.remove(key);
    if (s != null) closeQuietly(s);
    return port(key);
  }

  /** Lets every port still held go. */
  @Override
  public void close() {
    held.values().forEach(ReservedPorts::closeQuietly);
    held.clear();
  }

  private static void closeQuietly(ServerSocket s) {
    try {
      s.close();
    } catch (IOException e) {
      // Closing a listening socket nobody connected to: nothing to do about a failure.
    }
  }
}
