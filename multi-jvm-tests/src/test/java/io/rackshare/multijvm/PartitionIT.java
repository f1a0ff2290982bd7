package io.rackshare.multijvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.management.BladeStatus;
import io.rackshare.node.BladeProcess;
import io.rackshare.testkit.NetworkNamespaces;
import io.rackshare.testkit.StatusPoller;
import io.rackshare.testkit.Tool;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Partitions on real, separate network stacks: four blades, each in a network namespace of its own
 * with a veth cable to a bridge ({@link NetworkNamespaces}), talking over the TCP data lane (no Unix socket
 * crosses namespaces), on an H2 journal this test serves on the bridge. A cable is pulled while
 * fio writes with verification through a blade on the other side:
 *
 * <ol>
 *   <li>the manager's blade, which holds a copy of {@code mirror} and a member of {@code parity},
 *       is cut off: the majority names a new manager within the takeover bound and its client sees
 *       no error; the cut-off blade says it has no quorum, and its own client's write is refused,
 *       never acknowledged;
 *   <li>then a blade holding a copy of {@code mirror2} (the manager on the majority's side): the
 *       same from the other side.
 * </ol>
 *
 * After each heal (the cut-off blade, downed by its own side's Split Brain Resolver, is started
 * again, as a supervisor would): every copy is identical (sha256 of the member files, RAID-5
 * parity), no write the cut-off client tried is on any copy, every blade's map digest equals the
 * journal's, and the journal shows that no two managers both wrote: each manager's events form one
 * run, and a manager that was followed by another never wrote again.
 */
class PartitionIT {

  static final Duration T = Duration.ofMinutes(3);
  static final int OOB = 25520;
  static final int NBD = 10809;
  static final int MGMT = 8558;
  static final long TAKEOVER_BOUND_MS = 5000;

  NetworkNamespaces net;
  io.rackshare.persistence.JournalServer journal;
  Path dir;
  final Map<Integer, BladeProcess> blades = new TreeMap<>();

  @AfterEach
  void stop() throws Exception {
    for (BladeProcess b : blades.values()) b.kill();
    if (journal != null) journal.close();
    if (net != null) net.close();
  }

  static String disk(int slot, int index) {
    return "\"Rack(1)/Chassis(1)/Blade(" + slot + ")/Disk(" + index + ")\"";
  }

  void start(int slot) throws Exception {
    String disks = switch (slot) {
      case 1 -> "[{ file = disk0.img, size = 16MiB }, { file = disk1.img, size = 16MiB }]";
      case 2 -> "[{ file = disk0.img, size = 16MiB }, { file = disk1.img, size = 16MiB }]";
      case 3 -> "[{ file = disk0.img, size = 16MiB }, { file = disk1.img, size = 16MiB }]";
      default -> "[{ file = disk0.img, size = 16MiB }]";
    };
    List<String> seeds = new ArrayList<>();
    for (int s = 1; s <= 4; s++) seeds.add("\"" + net.address(s) + ":" + OOB + "\"");
    Path d = dir.resolve("blade" + slot);
    BladeProcess b = BladeProcess.start("blade" + slot, d, """
        rackshare {
          blade { slot = %d, data-dir = "%s", disks = %s }
          oob { hostname = "%s", port = %d }
          public { hostname = "%s" }
          seed-nodes = [%s]
          nbd.port = %d
          management.port = %d
          %s
          volumes = [
            { name = mirror, layout = raid1, members = [%s, %s] }
            { name = parity, layout = raid5, members = [%s, %s, %s] }
            { name = mirror2, layout = raid1, members = [%s, %s] }
          ]
        }
        """.formatted(slot, d, disks, net.address(slot), OOB, net.address(slot), String.join(", ", seeds), NBD, MGMT,
        journal.hocon(), disk(1, 0), disk(2, 0), disk(1, 1), disk(2, 1), disk(3, 0), disk(3, 1), disk(4, 0)),
        net.inside(slot, List.of()), TestCa.get(), List.of(net.address(slot)));
    blades.put(slot, b);
  }

  String uri(int slot, String volume) {
    return "nbd://" + net.address(slot) + ":" + NBD + "/" + volume;
  }

  /**
   * Blade {@code slot}'s status, fetched from inside its own namespace (it may be cut off). Its
   * endpoint listens on the namespace's address, beyond loopback, so it serves HTTPS with the
   * blade's certificate: curl checks it against the cluster's CA, as an operator's would.
   */
  BladeStatus status(int slot) throws Exception {
    Path ca = dir.resolve("blade" + slot).resolve("tls").resolve("ca.crt");
    Tool.Result r = Tool.run(Duration.ofSeconds(20), Map.of(), net.inside(slot, List.of("curl", "-sf", "--max-time",
        "5", "--cacert", ca.toString(), "https://" + net.address(slot) + ":" + MGMT + "/status")));
    if (r.exit() != 0) throw new IllegalStateException("no status from blade " + slot + ": " + r.out());
    return StatusPoller.JSON.readValue(r.out(), BladeStatus.class);
  }

  BladeStatus await(int slot, String what, Predicate<BladeStatus> p, Duration timeout) throws Exception {
    return StatusPoller.await("blade " + slot, () -> status(slot), what, p, timeout);
  }

  Path member(int slot, int index) {
    return dir.resolve("blade" + slot).resolve("disk" + index + ".img");
  }

  static byte[] read(Path file, long offset, int length) throws Exception {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
      byte[] b = new byte[length];
      f.seek(offset);
      f.readFully(b);
      return b;
    }
  }

  static boolean filledWith(byte[] b, int value) {
    for (byte x : b) if (x != (byte) value) return false;
    return true;
  }

  @Test
  void aCutOffBladeAcknowledgesNothingTheMajorityLacksAndEverythingMatchesAfterTheHeal() throws Exception {
    Optional<String> why = NetworkNamespaces.unavailable();
    Assumptions.assumeTrue(why.isEmpty(), () -> "skipped: " + why.get());
    dir = TestDirs.fresh(PartitionIT.class);
    net = new NetworkNamespaces(4);
    journal = io.rackshare.persistence.JournalServer.start(dir.resolve("journal"), 0, net.hostAddress());
    start(1);
    blades.get(1).awaitLine("RACKSHARE UP", T);
    for (int slot = 2; slot <= 4; slot++) start(slot);
    for (int slot = 1; slot <= 4; slot++) blades.get(slot).awaitLine("RACKSHARE READY", T);
    await(3, "blade 1 runs the manager", s -> s.manager().equals(DemoBlades.blade(1)), T);

    // 1. The manager's blade, with a copy of mirror and a member of parity, is cut off.
    cutOff(1, 3, List.of("mirror", "parity"), "mirror", 0xee);
    // 2. A blade with a copy of mirror2, the manager on the majority's side.
    // Whichever of mirror2's blades (3, 4) does not run the manager now; the client on blade 2.
    int manager = Integer.parseInt(status(2).manager().replaceAll(".*Blade\\((\\d+)\\)", "$1"));
    int copy = manager == 3 ? 4 : 3;
    assertNotEquals(copy, manager);
    cutOff(copy, 2, List.of("mirror2", "parity"), "mirror2", 0xdd);

    assertNoTwoManagersWrote();
  }

  /**
   * Cuts blade {@code cut} off while fio writes {@code volumes} through blade {@code client};
   * blade {@code cut}'s own client tries to write {@code pattern} to {@code isolatedVolume}.
   */
  void cutOff(int cut, int client, List<String> volumes, String isolatedVolume, int pattern) throws Exception {
    Path state = dir.resolve("fio-cut" + cut);
    Files.createDirectories(state);
    List<String> fio = new ArrayList<>(List.of("fio", "--ioengine=nbd", "--rw=randwrite", "--bs=16k", "--iodepth=4",
        "--size=12M", "--rate=768k", "--verify=crc32c", "--verify_backlog=16", "--verify_fatal=1", "--do_verify=1",
        "--verify_state_save=1"));
    for (String v : volumes) fio.addAll(List.of("--name=" + v, "--uri=" + uri(client, v)));
    Process writes = new ProcessBuilder(fio).directory(state.toFile()).redirectErrorStream(true)
        .redirectOutput(state.resolve("fio.log").toFile()).start();
    assertFalse(writes.waitFor(3, TimeUnit.SECONDS), "fio still writes when the cable is pulled");
    // Across network stacks the lane is TCP (a Unix socket would not be cut with the cable).
    List<String> clientLog = blades.get(client).lines();
    assertTrue(clientLog.stream().anyMatch(l -> l.contains("data lane to " + DemoBlades.blade(cut) + " over tcp")),
        "blade " + client + " reaches blade " + cut + " over a TCP lane");
    assertFalse(clientLog.stream().anyMatch(l -> l.contains(" over unix ")), "no Unix lane across namespaces");
    String managerBefore = status(client).manager();

    long cutAt = System.nanoTime();
    net.cut(cut);
    boolean managerCut = managerBefore.equals(DemoBlades.blade(cut));
    java.util.concurrent.CompletableFuture<Long> takeover = !managerCut ? null
        : java.util.concurrent.CompletableFuture.supplyAsync(() -> {
      try {
        await(client, "the majority names a new manager", s -> !s.manager().isEmpty()
            && !s.manager().equals(managerBefore), T);
        return (System.nanoTime() - cutAt) / 1_000_000;
      } catch (Exception e) {
        throw new java.util.concurrent.CompletionException(e);
      }
    });
    // The cut-off blade's own client: its write must not be acknowledged.
    Path isolatedOut = state.resolve("isolated.log");
    Process isolated = new ProcessBuilder(net.inside(cut, List.of("qemu-io", "-f", "raw",
        "-c", "write -P " + pattern + " 1M 64k", uri(cut, isolatedVolume))))
        .redirectErrorStream(true).redirectOutput(isolatedOut.toFile()).start();
    // The cut-off blade says at once that it has no quorum (before its side downs it).
    BladeStatus lonely = await(cut, "no quorum", s -> !s.quorum().kept(), Duration.ofSeconds(10));
    assertTrue(lonely.quorum().reason().contains("reaches 1 of 4"), lonely.quorum().reason());
    System.out.println("PARTITION blade " + cut + " lost its quorum after " + (System.nanoTime() - cutAt) / 1_000_000
        + " ms: " + lonely.quorum().reason());
    assertTrue(isolated.waitFor(90, TimeUnit.SECONDS), "the cut-off client got no answer");
    String answer = Files.readString(isolatedOut);
    assertTrue(!answer.contains("wrote 65536/65536 bytes") && answer.contains("error"),
        "the cut-off blade acknowledged a write: " + answer);

    if (managerCut) {
      // Polled on the majority's side from the moment of the cut, alongside the cut-off client.
      long takeoverMs = takeover.get(30, TimeUnit.SECONDS);
      System.out.println("PARTITION new manager after " + takeoverMs + " ms; cut-off client answered after "
          + (System.nanoTime() - cutAt) / 1_000_000 + " ms");
      assertTrue(takeoverMs <= TAKEOVER_BOUND_MS, "the majority named a new manager only after " + takeoverMs + " ms");
    }
    assertTrue(writes.waitFor(3, TimeUnit.MINUTES), "fio finished");
    assertEquals(0, writes.exitValue(), "the majority's client saw an error: " + Files.readString(state.resolve("fio.log")));

    // Heal. The cut-off blade's side downed it (no majority): it is started again.
    net.heal(cut);
    assertTrue(blades.get(cut).awaitExit(Duration.ofSeconds(60)) >= 0, "the cut-off blade downed itself");
    start(cut);
    blades.get(cut).awaitLine("RACKSHARE READY", T);
    for (String v : volumes) {
      await(client, v + " whole again", s -> DemoBlades.volume(s, v).health().equals("OPTIMAL"), T);
    }
    // Every acknowledged write reads back right, through the blade that was cut off.
    List<String> verify = new ArrayList<>(List.of("fio", "--ioengine=nbd", "--rw=randwrite", "--bs=16k",
        "--iodepth=4", "--size=12M", "--verify=crc32c", "--verify_fatal=1", "--verify_only", "--verify_state_load=1"));
    for (String v : volumes) verify.addAll(List.of("--name=" + v, "--uri=" + uri(cut, v)));
    Tool.run(T, Map.of(), net.inside(cut, verify), state).ok();
    assertCopiesMatch();
    // Nothing of the refused write is anywhere.
    for (Path p : List.of(member(1, 0), member(2, 0), member(3, 1), member(4, 0))) {
      assertFalse(filledWith(read(p, 1 << 20, 64 << 10), pattern), p + " holds the cut-off client's write");
    }
    awaitDigestsMatchJournal();
  }

  void assertCopiesMatch() throws Exception {
    assertEquals(DemoBlades.sha256(member(1, 0)), DemoBlades.sha256(member(2, 0)), "mirror's copies");
    assertEquals(DemoBlades.sha256(member(3, 1)), DemoBlades.sha256(member(4, 0)), "mirror2's copies");
    Parity.assertConsistent(List.of(member(1, 1), member(2, 1), member(3, 0)), 64 * 1024);
  }

  void awaitDigestsMatchJournal() throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    String why = "";
    while (System.nanoTime() < deadline) {
      io.rackshare.persistence.JournalDigest.Result j =
          io.rackshare.persistence.JournalDigest.read(journal.url(), journal.user(), journal.password(),
              Duration.ofSeconds(30));
      why = "journal " + j;
      boolean all = true;
      for (int slot = 1; slot <= 4; slot++) {
        BladeStatus s = status(slot);
        why += "; blade " + slot + " " + s.mapDigest();
        all &= s.mapDigest().equals(j.mapDigest());
      }
      if (all) return;
      Thread.sleep(250); // polling other processes
    }
    throw new AssertionError("maps differ from the journal's: " + why);
  }

  /** Each writer (a manager's incarnation) wrote one run of events; none wrote again after another. */
  void assertNoTwoManagersWrote() throws Exception {
    List<String> writers = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(journal.url(), journal.user(), journal.password());
        ResultSet r = c.createStatement().executeQuery("SELECT writer FROM event_journal"
            + " WHERE persistence_id = 'rackshare-manager' ORDER BY sequence_number")) {
      while (r.next()) writers.add(r.getString(1));
    }
    LinkedHashSet<String> runs = new LinkedHashSet<>();
    String last = null;
    for (String w : writers) {
      if (!w.equals(last)) {
        assertTrue(runs.add(w), "manager " + w + " wrote again after another one: " + writers);
        last = w;
      }
    }
    assertTrue(runs.size() >= 2, "the first manager and its successor should both have written: " + runs);
  }
}
