package io.rackshare.multijvm;

import io.rackshare.testkit.StatusPoller;
import io.rackshare.testkit.ReservedPorts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.management.BladeStatus;
import io.rackshare.node.BladeProcess;
import io.rackshare.testkit.Tool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A mirror copy's blade is killed (SIGKILL) while fio writes to the mirror, and started again: the
 * copy comes back with only the regions written while it was away, as the copy that stayed in
 * sync tells it (md's write-intent bitmap), and ends byte-identical to that copy. fio's own
 * verification checks every acknowledged write through each blade.
 */
class MirrorResyncAcrossJvmsIT {

  static final Duration T = Duration.ofMinutes(3);
  static final Pattern READY = Pattern.compile("RACKSHARE READY .* nbd=(\\S+) mgmt=(\\S+) .*");
  static final Pattern RESYNC = Pattern.compile(
      ".*rebuilding Rack\\(1\\)/Chassis\\(1\\)/Blade\\(3\\)/Disk\\(0\\) of 'mirror': (\\d+) of (\\d+) KiB, the regions"
          + " written since epoch \\d+.*");
  static final String MEMBERS = "[\"Rack(1)/Chassis(1)/Blade(2)/Disk(0)\", \"Rack(1)/Chassis(1)/Blade(3)/Disk(0)\"]";

  Path dir;
  ReservedPorts ports;
  final Map<Integer, BladeProcess> blades = new TreeMap<>();
  final Map<Integer, String> nbd = new TreeMap<>();
  final Map<Integer, String> mgmt = new TreeMap<>();

  @AfterEach
  void stop() throws Exception {
    if (ports != null) ports.close();
    for (BladeProcess b : blades.values()) b.close();
  }

  /** Starts blade {@code slot}'s JVM; {@link #ready} waits for it. */
  void start(int slot) throws Exception {
    Path d = dir.resolve("blade" + slot);
    ports.release(slot);
    BladeProcess b = BladeProcess.start("blade" + slot, d, """
        rackshare {
          blade { slot = %d, data-dir = "%s", disks = [{ file = disk0.img, size = 32MiB }] }
          oob { hostname = "127.0.0.1", port = %d }
          seed-nodes = [%s]
          nbd.port = 0
          management.port = 0
          access.resync-region = 64KiB
          volumes = [{ name = mirror, layout = raid1, members = %s }]
        }
        """.formatted(slot, d, ports.port(slot), ports.seeds(), MEMBERS), TestCa.get());
    blades.put(slot, b);
  }

  /** Waits until blade {@code slot} serves (each waits for the mirror, so for the others). */
  void ready(int slot) throws Exception {
    Matcher m = READY.matcher(blades.get(slot).awaitLine("RACKSHARE READY", T));
    assertTrue(m.matches());
    nbd.put(slot, m.group(1));
    mgmt.put(slot, m.group(2));
  }

  static BladeStatus.Volume mirror(BladeStatus s) {
    return s.volumes().stream().filter(v -> v.name().equals("mirror")).findFirst().orElseThrow();
  }

  /** Waits until blade 1 shows the mirror's members in {@code states}. */
  void awaitStates(List<String> states) throws Exception {
    StatusPoller.await("blade 1", () -> StatusPoller.fetch(mgmt.get(1)), "the mirror's members are " + states,
        s -> mirror(s).members().stream().map(BladeStatus.MemberStatus::state).toList().equals(states), T);
  }

  List<String> fio(int slot, String... more) {
    List<String> c = new ArrayList<>(List.of("fio", "--name=mirror", "--ioengine=nbd", "--uri=" + nbd.get(slot) + "mirror",
        "--rw=randwrite", "--bs=4k", "--iodepth=8", "--size=2M", "--verify=crc32c", "--verify_fatal=1"));
    c.addAll(List.of(more));
    return c;
  }

  @Test
  void aCopyKilledDuringWritesComesBackWithOnlyTheRegionsItMissed() throws Exception {
    dir = TestDirs.fresh(MirrorResyncAcrossJvmsIT.class);
    ports = new ReservedPorts(3);
    for (int slot = 1; slot <= 3; slot++) start(slot);
    for (int slot = 1; slot <= 3; slot++) ready(slot);
    awaitStates(List.of("ACTIVE", "ACTIVE"));

    // Writes to the first 2 MiB of the 32 MiB mirror, rate-limited so that the kill lands among them.
    Path state = dir.resolve("fio");
    Files.createDirectories(state);
    Process writes = new ProcessBuilder(fio(1, "--rate=512k", "--do_verify=0", "--verify_state_save=1"))
        .directory(state.toFile()).redirectErrorStream(true).redirectOutput(state.resolve("write.log").toFile()).start();
    assertTrue(!writes.waitFor(1500, TimeUnit.MILLISECONDS), "fio still writes when the blade dies");
    blades.get(3).kill();
    assertTrue(writes.waitFor(3, TimeUnit.MINUTES), "fio finished");
    assertEquals(0, writes.exitValue(), "no client error: " + Files.readString(state.resolve("write.log")));
    awaitStates(List.of("ACTIVE", "FAILED"));

    start(3);
    ready(3);
    awaitStates(List.of("ACTIVE", "ACTIVE"));
    Matcher resync = blades.get(3).lines().stream().map(RESYNC::matcher).filter(Matcher::matches).findFirst()
        .orElseThrow(() -> new AssertionError("blade 3 did not resynchronise only what it missed: "
            + String.join("\n", blades.get(3).lines())));
    long kib = Long.parseLong(resync.group(1));
    assertEquals(32 * 1024, Long.parseLong(resync.group(2)));
    assertTrue(kib > 0 && kib <= 2048, "at most the 2 MiB written, not the whole 32 MiB copy: " + kib + " KiB");

    assertEquals(JournalCluster.sha256(dir.resolve("blade2").resolve("disk0.img")),
        JournalCluster.sha256(dir.resolve("blade3").resolve("disk0.img")), "the copies are identical");
    for (int slot = 1; slot <= 3; slot++) {
      Tool.run(T, Map.of(), fio(slot, "--verify_only", "--verify_state_load=1"), state).ok();
    }
  }
}
