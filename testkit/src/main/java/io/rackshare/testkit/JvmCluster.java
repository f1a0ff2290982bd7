package io.rackshare.testkit;

import io.rackshare.access.BlockDevice;
import io.rackshare.management.BladeStatus;
import io.rackshare.node.BladeProcess;
import io.rackshare.tls.ClusterCa;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Blades as separate JVMs ({@link BladeProcess}: {@code rackshare node} on the test's class path)
 * with certificates of a CA made for the cluster. Every blade binds its ports itself (port 0) and
 * reports them ({@code RACKSHARE UP}, {@code RACKSHARE READY}), so no port is picked in advance
 * and none can be taken meanwhile; each joins through the blades already up.
 */
final class JvmCluster extends AbstractCluster {

  private static final Pattern UP = Pattern.compile("RACKSHARE UP blade=\\S+ oob=(\\S+)");
  private static final Pattern READY = Pattern.compile("RACKSHARE READY .* nbd=(\\S+) mgmt=(\\S+) .*");

  private final Map<Integer, BladeProcess> blades = new TreeMap<>();
  private final Map<Integer, String> oob = new TreeMap<>();
  private final Map<Integer, String> nbd = new TreeMap<>();
  private final Map<Integer, String> mgmt = new TreeMap<>();
  private final List<NbdBlockDevice> devices = new CopyOnWriteArrayList<>();
  private ClusterCa ca;
  /** The blades' network namespaces, when the spec asks for them. */
  private NetworkNamespaces net;

  JvmCluster(ClusterSpec spec, Path dir) {
    super(spec, dir);
  }

  @Override
  void start() throws Exception {
    if (spec.networkNamespaces()) {
      java.util.Optional<String> why = NetworkNamespaces.unavailable();
      org.junit.jupiter.api.Assumptions.assumeTrue(why.isEmpty(), () -> "no network namespaces here: " + why.orElse(""));
      net = new NetworkNamespaces(java.util.Collections.max(spec.slots()));
    }
    startJournal(net == null ? null : net.hostAddress());
    ca = ClusterCa.create(dir.resolve("cluster-ca"), "rackshare");
    List<Integer> slots = spec.slots();
    launch(slots.get(0));
    awaitUp(slots.get(0));
    for (int slot : slots.subList(1, slots.size())) launch(slot);
    for (int slot : slots.subList(1, slots.size())) awaitUp(slot);
    for (int slot : slots) awaitReady(slot);
    for (ClusterSpec.PooledVolume p : spec.pooled()) createOnPool(slots.get(0), p);
  }

  /** Starts blade {@code slot}'s JVM joining through the living blades; keeps an earlier log as node.log.N. */
  private void launch(int slot) throws Exception {
    List<String> seeds = new ArrayList<>();
    blades.forEach((s, b) -> {
      if (s != slot && b.isAlive() && oob.containsKey(s)) seeds.add("\"" + oob.get(s) + "\"");
    });
    oob.remove(slot);
    nbd.remove(slot);
    mgmt.remove(slot);
    Path d = dataDir(slot);
    Path log = d.resolve("node.log");
    if (Files.exists(log)) {
      int n = 1;
      while (Files.exists(d.resolve("node.log." + n))) n++;
      Files.move(log, d.resolve("node.log." + n));
    }
    String host = host(slot);
    // In a namespace the management endpoint listens beyond loopback, where it would serve HTTPS:
    // plain HTTP on the test's own bridge, so that the status poller reads it.
    String hocon = """
        rackshare.blade { slot = %d, data-dir = "%s" }
        rackshare.oob { hostname = "%s", port = 0 }
        rackshare.public.hostname = "%s"
        rackshare.seed-nodes = [%s]
        rackshare.nbd.port = 0
        rackshare.management { port = 0, tls = off }
        """.formatted(slot, d.toString().replace("\\", "/"), host, host, String.join(", ", seeds))
        + spec.blades().get(slot).hocon() + spec.commonHocon() + journalHocon();
    blades.put(slot, BladeProcess.start("blade" + slot, d, hocon, net == null ? List.of() : net.inside(slot, List.of()),
        ca, net == null ? List.of("127.0.0.1", "localhost") : List.of(host)));
  }

  /** Where blade {@code slot} listens: loopback, or its namespace's address. */
  private String host(int slot) {
    return net == null ? "127.0.0.1" : net.address(slot);
  }

  private void awaitUp(int slot) throws Exception {
    Matcher m = UP.matcher(blades.get(slot).awaitLine("RACKSHARE UP", START));
    if (!m.find()) throw new AssertionError("blade " + slot + " printed an unexpected UP line");
    oob.put(slot, m.group(1));
  }

  private void awaitReady(int slot) throws Exception {
    String line = blades.get(slot).awaitLine("RACKSHARE READY", START);
    Matcher m = READY.matcher(line);
    if (!m.matches()) throw new AssertionError("blade " + slot + " printed an unexpected READY line: " + line);
    nbd.put(slot, m.group(1));
    mgmt.put(slot, m.group(2));
  }

  /** The operator token blade {@code slot} made in its data directory. */
  private String operatorToken(int slot) throws java.io.IOException {
    return Files.readAllLines(dataDir(slot).resolve("operator-token")).get(0).trim();
  }

  /** {@code rackshare volume create} through blade {@code slot}'s endpoint, then waits until every blade serves it. */
  private void createOnPool(int slot, ClusterSpec.PooledVolume p) throws Exception {
    String token = operatorToken(slot);
    String q = "/volumes?name=" + enc(p.name()) + "&layout=" + enc(p.layout()) + "&size=" + enc(p.size())
        + "&copies=" + p.copies() + "&width=0&spares=" + p.spares();
    HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(mgmt.get(slot) + q)).timeout(START)
            .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) throw new IllegalStateException("creating " + p + ": " + r.statusCode() + " " + r.body());
    awaitAll("pooled volume '" + p.name() + "' is served",
        s -> volume(s, p.name()) != null && volume(s, p.name()).preparing() == null, START);
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  @Override
  public List<Integer> running() {
    List<Integer> r = new ArrayList<>();
    blades.forEach((slot, b) -> {
      if (b.isAlive()) r.add(slot);
    });
    return r;
  }

  @Override
  public void kill(int slot) throws Exception {
    known(slot);
    BladeProcess b = blades.get(slot);
    if (b != null) b.kill();
    partitioned.remove(slot);
  }

  @Override
  public void restart(int slot) throws Exception {
    known(slot);
    BladeProcess b = blades.get(slot);
    if (b != null && b.isAlive()) throw new IllegalStateException("blade " + slot + " is running: kill it before restarting it");
    partitioned.remove(slot);
    launch(slot);
    awaitUp(slot);
    awaitReady(slot);
  }

  @Override
  public void partition(int slot) {
    known(slot);
    namespaces().cut(slot);
    partitioned.add(slot);
  }

  @Override
  public void heal(int slot) {
    known(slot);
    namespaces().heal(slot);
    partitioned.remove(slot);
  }

  private NetworkNamespaces namespaces() {
    if (net == null) {
      throw new UnsupportedOperationException("partitioning blades in separate JVMs needs each blade in a network "
          + "namespace of its own: ask for them with ClusterSpec.Builder.networkNamespaces() (root and `ip netns`); "
          + "ClusterSpec.inOneJvm() partitions with an Artery blackhole");
    }
    return net;
  }

  @Override
  public BladeStatus status(int slot) throws Exception {
    String url = mgmt.get(slot);
    if (url == null || !blades.get(slot).isAlive()) throw new IllegalStateException("blade " + slot + " is not running");
    return StatusPoller.fetch(url, operatorToken(slot));
  }

  @Override
  public BlockDevice blockDevice(int slot, String volume) throws Exception {
    NbdBlockDevice d = NbdBlockDevice.connect(nbdUri(slot, volume));
    devices.add(d);
    return d;
  }

  @Override
  public String nbdUri(int slot, String volume) {
    String base = nbd.get(slot);
    if (base == null) throw new IllegalStateException("blade " + slot + " serves no NBD (running: " + running() + ")");
    return base + volume;
  }

  @Override
  public Path log(int slot) {
    return dataDir(slot).resolve("node.log");
  }

  @Override
  public void close() {
    devices.forEach(NbdBlockDevice::close);
    devices.clear();
    for (BladeProcess b : blades.values()) b.terminate();
    try {
      for (BladeProcess b : blades.values()) b.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      closeJournal();
      if (net != null) net.close();
    }
  }
}
