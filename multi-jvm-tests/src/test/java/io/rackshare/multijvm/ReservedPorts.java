package io.rackshare.multijvm;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Map;
import java.util.TreeMap;

/**
 * OOB ports for blades that start later, each kept bound here until its blade starts: a port only
 * picked (and let go) early was taken meanwhile by another blade JVM's ephemeral ports.
 */
final class ReservedPorts implements AutoCloseable {
  private final Map<Integer, Integer> ports = new TreeMap<>();
  private final Map<Integer, ServerSocket> held = new TreeMap<>();

  /** Reserves a loopback port for each of blades 1 to {@code count}. */
  ReservedPorts(int count) throws IOException {
    for (int slot = 1; slot <= count; slot++) {
      ServerSocket s = new ServerSocket();
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      held.put(slot, s);
      ports.put(slot, s.getLocalPort());
    }
  }

  int port(int slot) {
    return ports.get(slot);
  }

  /** Every reserved blade as a seed node, for {@code rackshare.seed-nodes = [...]}. */
  String seeds() {
    return ports.values().stream().map(p -> "\"127.0.0.1:" + p + "\"")
        .collect(java.util.stream.Collectors.joining(", "));
  }

  /** Lets blade {@code slot}'s port go, right before that blade binds it (again: a no-op). */
  void release(int slot) throws IOException {
    ServerSocket s = held.remove(slot);
    if (s != null) s.close();
  }

  @Override
  public void close() throws IOException {
    for (ServerSocket s : held.values()) s.close();
    held.clear();
  }
}
