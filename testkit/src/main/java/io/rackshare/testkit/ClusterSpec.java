package io.rackshare.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What a {@link RackshareCluster} starts: its blades with their disks and memory, the volumes
 * declared over them or created by size on the pool, and HOCON settings every blade gets. Made
 * with {@link #inOneJvm()} or {@link #separateJvms()} and the {@link Builder}.
 *
 * @param mode where the blades run
 * @param blades the blades by slot
 * @param volumes volumes declared over whole disks or memory ({@code rackshare.volumes})
 * @param pooled volumes created by size on the pool once the cluster is up
 * @param hocon settings inside every blade's configuration (full paths, e.g. {@code
 *     rackshare.access.rebuild-step = 64KiB})
 * @param journal whether the manager journals to an H2 journal server the cluster runs (else in
 *     memory: no live backup, and a new manager starts from the blades' maps)
 * @param networkNamespaces whether each blade (separate JVMs only) runs in a network namespace of
 *     its own, so that {@link RackshareCluster#partition} can cut its cable
 */
public record ClusterSpec(Mode mode, Map<Integer, Blade> blades, List<Volume> volumes, List<PooledVolume> pooled,
    String hocon, boolean journal, boolean networkNamespaces) {

  /** Where the blades run. */
  public enum Mode {
    /** Each blade an ActorSystem of the test's JVM (fast; "kill" is an abrupt stop, see {@link RackshareCluster#kill}). */
    IN_ONE_JVM,
    /** Each blade its own JVM ({@code rackshare node}); kill is SIGKILL. */
    SEPARATE_JVMS
  }

  /**
   * One blade.
   *
   * @param slot its slot (rack 1, chassis 1)
   * @param disks each disk's size ({@code 64MiB}): disk files {@code disk0.img}, ... in its data directory
   * @param memory each shared memory's size ({@code Memory(n)}, empty at every start)
   */
  public record Blade(int slot, List<String> disks, List<String> memory) {
    /** Checks the slot and copies the lists. */
    public Blade {
      if (slot < 1) throw new IllegalArgumentException("slots start at 1, got " + slot);
      disks = List.copyOf(disks);
      memory = List.copyOf(memory);
    }

    /** Its {@code rackshare.blade.disks} and {@code rackshare.blade.memory} as HOCON. */
    String hocon() {
      StringBuilder disks = new StringBuilder("[");
      for (int i = 0; i < this.disks.size(); i++) {
        disks.append(i == 0 ? "" : ", ").append("{ file = \"disk").append(i).append(".img\", size = ")
            .append(this.disks.get(i)).append(", block-size = 4096 }");
      }
      String memory = this.memory.stream().map(m -> "{ size = " + m + " }").collect(Collectors.joining(", ", "[", "]"));
      return "rackshare.blade.disks = " + disks + "]\nrackshare.blade.memory = " + memory + "\n";
    }
  }

  /**
   * A volume declared over devices ({@code rackshare.volumes}).
   *
   * @param name its name (and NBD export)
   * @param layout span, raid0, raid1, raid5 or raid10
   * @param members device paths, e.g. {@link ClusterSpec#disk(int, int)}
   * @param spares hot spares' device paths
   * @param options layout options ({@code rebuild-rate}, {@code read-policy}, ...)
   */
  public record Volume(String name, String layout, List<String> members, List<String> spares,
      Map<String, String> options) {
    /** Copies the lists. */
    public Volume {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(layout, "layout");
      members = List.copyOf(members);
      spares = List.copyOf(spares);
      options = Map.copyOf(options);
    }

    String hocon() {
      StringBuilder b = new StringBuilder("{ name = \"").append(name).append("\", layout = ").append(layout);
      b.append(", members = ").append(quoted(members)).append(", spares = ").append(quoted(spares));
      options.forEach((k, v) -> b.append(", ").append(k).append(" = \"").append(v).append('"'));
      return b.append(" }").toString();
    }

    private static String quoted(List<String> devices) {
      return devices.stream().map(d -> "\"" + d + "\"").collect(Collectors.joining(", ", "[", "]"));
    }
  }

  /**
   * A volume created by size on the pool after start ({@code rackshare volume create}).
   *
   * @param name its name
   * @param layout its layout
   * @param size its size, e.g. {@code 16MiB}
   * @param copies copies of each block (0: the layout's default)
   * @param spares hot spares
   */
  public record PooledVolume(String name, String layout, String size, int copies, int spares) {}

  /** Copies the collections. */
  public ClusterSpec {
    Objects.requireNonNull(mode, "mode");
    blades = Map.copyOf(blades);
    volumes = List.copyOf(volumes);
    pooled = List.copyOf(pooled);
    hocon = hocon == null ? "" : hocon;
    if (blades.isEmpty()) throw new IllegalArgumentException("a cluster needs at least one blade");
    if (networkNamespaces && mode != Mode.SEPARATE_JVMS) {
      throw new IllegalArgumentException("network namespaces are for separate JVMs: one JVM has one network stack");
    }
  }

  /** A builder for blades in the test's JVM. */
  public static Builder inOneJvm() {
    return new Builder(Mode.IN_ONE_JVM);
  }

  /** A builder for blades as separate JVMs. */
  public static Builder separateJvms() {
    return new Builder(Mode.SEPARATE_JVMS);
  }

  /** The device path of disk {@code index} of blade {@code slot}: {@code Rack(1)/Chassis(1)/Blade(s)/Disk(i)}. */
  public static String disk(int slot, int index) {
    return blade(slot) + "/Disk(" + index + ")";
  }

  /** The device path of memory {@code index} of blade {@code slot}. */
  public static String memory(int slot, int index) {
    return blade(slot) + "/Memory(" + index + ")";
  }

  /** Blade {@code slot} as status names it: {@code Rack(1)/Chassis(1)/Blade(s)}. */
  public static String blade(int slot) {
    return "Rack(1)/Chassis(1)/Blade(" + slot + ")";
  }

  /** The slot in a blade's or device's path ({@code .../Blade(3)/Disk(0)} is 3), or -1. */
  public static int slotOf(String path) {
    if (path == null) return -1;
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("Blade\\((\\d+)\\)").matcher(path);
    return m.find() ? Integer.parseInt(m.group(1)) : -1;
  }

  /** The slots, in order. */
  public List<Integer> slots() {
    return new ArrayList<>(new TreeMap<>(blades).keySet());
  }

  /** The HOCON every blade shares: the settings and the declared volumes. */
  String commonHocon() {
    return hocon + "\nrackshare.volumes = "
        + volumes.stream().map(Volume::hocon).collect(Collectors.joining("\n  ", "[\n  ", "\n]")) + "\n";
  }

  /** Builds a {@link ClusterSpec}. */
  public static final class Builder {
    private final Mode mode;
    private final Map<Integer, Blade> blades = new TreeMap<>();
    private final List<Volume> volumes = new ArrayList<>();
    private final List<PooledVolume> pooled = new ArrayList<>();
    private final StringBuilder hocon = new StringBuilder();
    private boolean journal;
    private boolean networkNamespaces;

    private Builder(Mode mode) {
      this.mode = mode;
    }

    /** Blades 1 to {@code count}, each with disks of these sizes (e.g. {@code "64MiB"}). */
    public Builder blades(int count, String... diskSizes) {
      for (int slot = 1; slot <= count; slot++) blade(slot, diskSizes);
      return this;
    }

    /** Blade {@code slot} with disks of these sizes. */
    public Builder blade(int slot, String... diskSizes) {
      return blade(new Blade(slot, List.of(diskSizes), List.of()));
    }

    /** Blade {@code blade.slot()} as given (replacing one of that slot). */
    public Builder blade(Blade blade) {
      blades.put(blade.slot(), blade);
      return this;
    }

    /** Adds shared memory of {@code size} to blade {@code slot} (declared before). */
    public Builder memory(int slot, String size) {
      Blade b = blades.get(slot);
      if (b == null) throw new IllegalArgumentException("blade " + slot + " is not declared");
      List<String> memory = new ArrayList<>(b.memory());
      memory.add(size);
      blades.put(slot, new Blade(slot, b.disks(), memory));
      return this;
    }

    /** A volume over {@code members} with {@code spares}, with the layout's default options. */
    public Builder volume(String name, String layout, List<String> members, List<String> spares) {
      return volume(new Volume(name, layout, members, spares, Map.of()));
    }

    /** A volume as given. */
    public Builder volume(Volume volume) {
      volumes.add(volume);
      return this;
    }

    /** A raid1 over disk 0 of each of {@code memberSlots}, with disk 0 of {@code spareSlots} as hot spares. */
    public Builder raid1(String name, List<Integer> memberSlots, List<Integer> spareSlots) {
      return volume(name, "raid1", memberSlots.stream().map(s -> disk(s, 0)).toList(),
          spareSlots.stream().map(s -> disk(s, 0)).toList());
    }

    /** A volume created by size on the pool once the cluster runs (disks in no declared volume). */
    public Builder pooledVolume(String name, String layout, String size, int copies, int spares) {
      pooled.add(new PooledVolume(name, layout, size, copies, spares));
      return this;
    }

    /** HOCON every blade gets, with full paths ({@code rackshare.access.rebuild-step = 64KiB}). */
    public Builder hocon(String settings) {
      hocon.append(settings).append('\n');
      return this;
    }

    /** One setting every blade gets; {@code value} is HOCON ({@code "64KiB"}, {@code "on"}). */
    public Builder setting(String path, String value) {
      return hocon(path + " = " + value);
    }

    /**
     * Runs a service on every blade: the typed Pekko {@code ExtensionId} {@code extensionId} is
     * created as each blade's ActorSystem starts ({@code pekko.actor.typed.extensions}), in one
     * JVM or in a blade's own JVM, whose class path is the test's, so the service's classes are
     * there. The extension starts what it needs (a Cluster Singleton, an HTTP endpoint, ...) and
     * may log a line saying where it listens, which the test finds with {@link
     * RackshareCluster#awaitLogLine}. The class needs a static {@code getInstance()} returning the
     * id (Pekko's rule for extensions written in Java).
     *
     * @param extensionId the service's extension id class
     * @return this builder
     */
    public Builder service(Class<?> extensionId) {
      return hocon("pekko.actor.typed.extensions += \"" + extensionId.getName() + "\"");
    }

    /**
     * The manager's journal in an H2 journal server that the cluster runs in the test's JVM (as
     * {@code rackshare journal-server} would), so that a live backup follows it and takes over,
     * losing nothing, when the manager's blade dies ({@link RackshareCluster#awaitBackup}).
     */
    public Builder journal() {
      journal = true;
      return this;
    }

    /**
     * Each blade in a network namespace of its own, cabled to a bridge ({@link NetworkNamespaces}),
     * so that {@link RackshareCluster#partition} cuts a blade off as a pulled cable would. Needs
     * root and {@code ip netns}; where the machine does not allow them, starting the cluster
     * aborts the test (a JUnit assumption) saying why. Separate JVMs only.
     */
    public Builder networkNamespaces() {
      networkNamespaces = true;
      return this;
    }

    /** The spec. */
    public ClusterSpec build() {
      return new ClusterSpec(mode, blades, volumes, pooled, hocon.toString(), journal, networkNamespaces);
    }
  }
}
