package io.rackshare.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rackshare.Rackshare;
import io.rackshare.access.BlockDevice;
import io.rackshare.map.DeviceSegment;
import io.rackshare.map.Extent;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.layout.SpanLayout;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A local cluster of blades on embedded defaults: each blade shares one temporary disk file, the
 * manager spans them into volume {@code v0}, and the demo writes through the first blade and
 * reads through another, showing where the bytes landed.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Start a local cluster of blades with temporary disks and span a volume over them.")
final class Demo implements Callable<Integer> {

  @Option(names = "--blades", defaultValue = "3", description = "number of blades (default ${DEFAULT-VALUE})")
  int blades;

  @Option(names = "--disk-mib", defaultValue = "16", description = "disk size per blade in MiB (default ${DEFAULT-VALUE})")
  int diskMib;

  @Option(names = "--exit", description = "stop after the walk-through instead of waiting for Ctrl-C")
  boolean exit;

  @Override
  public Integer call() throws Exception {
    if (blades < 1 || blades > 16) throw new IllegalArgumentException("--blades must be 1-16");
    if (diskMib < 1) throw new IllegalArgumentException("--disk-mib must be >= 1");
    Path dir = Files.createTempDirectory("rackshare-demo-");
    String members = IntStream.rangeClosed(1, blades)
        .mapToObj(s -> "\"Rack(1)/Chassis(1)/Blade(" + s + ")/Disk(0)\"")
        .collect(Collectors.joining(", "));
    List<ActorSystem<Void>> systems = new ArrayList<>();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      systems.forEach(ActorSystem::terminate);
      for (ActorSystem<Void> s : systems) {
        try {
          s.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception ignored) {
          // best effort on the way out
        }
      }
      deleteTree(dir);
      stopped.countDown();
    }));

    Address seed = null;
    for (int slot = 1; slot <= blades; slot++) {
      Config c = RackshareNode.nodeConfig(ConfigFactory.parseString(
          "rackshare.blade.slot = " + slot + "\n"
              + "rackshare.blade.data-dir = \"" + dir.resolve("blade" + slot) + "\"\n"
              + "rackshare.blade.disks = [{ file = disk0.img, size = " + diskMib + "MiB }]\n"
              + "rackshare.volumes = [{ name = v0, layout = span, members = [" + members + "] }]\n"
              + "rackshare.oob.port = 0\n"
              + "pekko.coordinated-shutdown.exit-jvm = off\n"
              + "pekko.loglevel = WARNING\n"));
      ActorSystem<Void> system = RackshareNode.start(c);
      systems.add(system);
      Cluster cluster = Cluster.get(system);
      if (seed == null) seed = cluster.selfMember().address();
      cluster.manager().tell(Join.create(seed));
    }

    List<BlockDevice> devices = new ArrayList<>();
    for (ActorSystem<Void> s : systems) {
      devices.add(Rackshare.get(s).awaitVolume("v0", Duration.ofSeconds(60))
          .toCompletableFuture().get(65, TimeUnit.SECONDS));
    }
    Rackshare first = Rackshare.get(systems.get(0));
    GlobalResourceDescriptor v0 = first.localMap().volume("v0").orElseThrow();

    System.out.println();
    System.out.println("Rackshare demo: " + blades + " blades in this JVM, data in " + dir);
    for (int i = 0; i < systems.size(); i++) {
      Rackshare r = Rackshare.get(systems.get(i));
      System.out.printf("  blade %-28s OOB %s  map epoch %d digest %s%n",
          r.settings().blade(), Cluster.get(systems.get(i)).selfMember().address(),
          r.localMap().epoch(), r.localMap().digest());
    }
    System.out.printf("%nVolume v0: layout %s, %d blocks of %d bytes (%d MiB), lookup table:%n",
        v0.layout(), v0.capacityBlocks(), v0.blockSize(), v0.sizeBytes() >> 20);
    for (Extent e : v0.extents()) {
      System.out.printf("  blocks %8d-%-8d -> %s from block %d%n",
          e.volumeBlock(), e.endBlock() - 1, e.device(), e.deviceBlock());
    }

    // Write through the first blade into the last blade's extent, read through another blade.
    byte[] text = ("Hello from " + first.settings().blade() + " at " + java.time.Instant.now())
        .getBytes(StandardCharsets.UTF_8);
    long offset = v0.sizeBytes() - (long) diskMib * 1024 * 1024 / 2 + 123;
    devices.get(0).write(offset, text, true).toCompletableFuture().get(30, TimeUnit.SECONDS);
    int reader = systems.size() > 1 ? 1 : 0;
    byte[] back = devices.get(reader).read(offset, text.length).toCompletableFuture().get(30, TimeUnit.SECONDS);
    DeviceSegment where = new SpanLayout().segments(v0, offset, text.length).get(0);
    Path file = dir.resolve("blade" + where.blade().slot()).resolve("disk0.img");
    byte[] onDisk = new byte[text.length];
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
      f.seek(where.deviceOffset());
      f.readFully(onDisk);
    }
    System.out.printf("%nWrote %d bytes at volume offset %d through %s.%n", text.length, offset,
        first.settings().blade());
    System.out.printf("  read back through %s: \"%s\"%n",
        Rackshare.get(systems.get(reader)).settings().blade(), new String(back, StandardCharsets.UTF_8));
    System.out.printf("  on disk in %s at byte %d: \"%s\"%n", file, where.deviceOffset(),
        new String(onDisk, StandardCharsets.UTF_8));
    if (!java.util.Arrays.equals(text, back) || !java.util.Arrays.equals(text, onDisk)) {
      System.out.println("MISMATCH: the demo's data did not come back intact");
      return 1;
    }
    if (exit) {
      System.out.println("\nDone.");
      return 0;
    }
    System.out.println("\nThe cluster keeps running; press Ctrl-C to stop it and remove " + dir + ".");
    stopped.await();
    return 0;
  }

  static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (Exception ignored) {
      // the temporary directory may already be gone
    }
  }
}
