package io.rackshare.manager;

import io.rackshare.layout.Layout;
import io.rackshare.layout.Layouts;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.Extent;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.Part;
import io.rackshare.map.ResourceConfig;
import io.rackshare.map.ResourceDescriptor;
import io.rackshare.map.VolumeRequest;
import io.rackshare.map.VolumeSpec;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The pool: every registered disk that no volume of whole disks uses (as member or spare) and no
 * volume of {@code rackshare.volumes} names, cut into extents of {@link Settings#extentBytes}
 * (as LVM's physical extents); and the placement of volumes asked for by size on it. Pure
 * functions of the manager's state, so the placement is a journalled decision that replays the
 * same.
 *
 * <p>Placement: a volume's members (and hot spares) are parts of pooled disks ({@link Part}), each
 * on a different failure domain of the level {@link Settings#domain} (a blade, by default: no two
 * members on one blade; a chassis or a rack where the cluster asks for it); among the disks that
 * may take the next member, the one in the rack, then the chassis, that holds the fewest members
 * of the volume so far, then the one with the most free extents, then the first by device path.
 * A span of width 0 fills disks in device-path order instead, as the seed's volume V: spans the
 * disks of blades 1 to 16 (0088). A pool that cannot take the whole volume is a clear error,
 * never a partial volume.
 */
public final class Pool {
  private Pool() {}

  /** What members of one volume must not share. */
  public enum Domain {
    BLADE, CHASSIS, RACK;

    Object key(BladeId b) {
      return switch (this) {
        case BLADE -> b;
        case CHASSIS -> List.of(b.rack(), b.chassis());
        case RACK -> b.rack();
      };
    }

    String plural() {
      return this == CHASSIS ? "chassis" : name().toLowerCase(Locale.ROOT) + "s";
    }

    /** Parses {@code blade}, {@code chassis} or {@code rack}. */
    public static Domain parse(String s) {
      try {
        return valueOf(s.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("rackshare.pool.failure-domain must be blade, chassis or rack, got '" + s + "'");
      }
    }
  }

  /** The pool's allocation unit and the failure domain members keep apart. */
  public record Settings(long extentBytes, Domain domain, int maxMoves, java.time.Duration moveRetryAfter) {
    public Settings {
      if (extentBytes <= 0 || Long.bitCount(extentBytes) != 1) {
        throw new IllegalArgumentException("rackshare.pool.extent-size must be a power of two, got " + extentBytes);
      }
      if (maxMoves < 1) throw new IllegalArgumentException("rackshare.pool.max-moves must be at least 1, got " + maxMoves);
      if (moveRetryAfter.isNegative()) {
        throw new IllegalArgumentException("rackshare.pool.move-retry-after must not be negative, got " + moveRetryAfter);
      }
    }

    /** With the default moves: two at a time, 30 s before a blade where a move's target failed is tried again. */
    public Settings(long extentBytes, Domain domain) {
      this(extentBytes, domain, 2, java.time.Duration.ofSeconds(30));
    }

    public static final Settings DEFAULT = new Settings(4L << 20, Domain.BLADE);
  }

  /** One pooled disk: its extents in use ({@code used}, by extent index) and how many it has. */
  public record Space(ResourceDescriptor disk, long extents, BitSet used, boolean online) {
    public long free() {
      return extents - used.cardinality();
    }

    public int blockSize() {
      return disk.block().blockSize();
    }
  }

  /**
   * The pool's disks in device-path order: registered disks that no volume uses whole and no
   * declared volume names, with the extents the parts of volumes take.
   */
  public static Map<DevicePath, Space> space(ManagerState s, List<VolumeSpec> specs, Settings settings) {
    Set<DevicePath> whole = new HashSet<>();
    for (VolumeSpec spec : specs) whole.addAll(spec.devices());
    for (GlobalResourceDescriptor v : s.map().volumes().values()) {
      v.members().forEach(m -> whole.add(m.device()));
      whole.addAll(v.spares());
    }
    Map<DevicePath, Space> out = new TreeMap<>();
    for (ResourceDescriptor r : s.resources().values()) {
      if (!"Disk".equals(r.path().kind()) || whole.contains(r.path())) continue;
      if (!(r.config() instanceof ResourceConfig.Block b) || settings.extentBytes() % b.blockSize() != 0) continue;
      long extents = b.blockCount() * b.blockSize() / settings.extentBytes();
      if (extents > Integer.MAX_VALUE) extents = Integer.MAX_VALUE;
      // A blade that is down, or being drained, takes no new extents.
      BladeId blade = r.path().blade();
      out.put(r.path(), new Space(r, extents, new BitSet(), !s.offline().contains(blade) && !s.map().draining(blade)));
    }
    for (GlobalResourceDescriptor v : s.map().volumes().values()) {
      for (Part p : v.parts()) {
        Space sp = out.get(p.disk());
        if (sp == null) continue;
        long per = settings.extentBytes() / sp.blockSize();
        for (Extent e : p.extents()) {
          long first = e.deviceBlock() / per;
          long last = (e.deviceBlock() + e.blockCount() - 1) / per;
          sp.used().set((int) Math.min(first, Integer.MAX_VALUE), (int) Math.min(last + 1, Integer.MAX_VALUE));
        }
      }
    }
    return out;
  }

  /**
   * Places volume {@code r} on the pool: its descriptor at {@code epoch}, with its parts not yet
   * ready (their blades zero them first). A clear error if the request does not fit its layout,
   * the name is taken, or the pool cannot hold it.
   */
  public static GlobalResourceDescriptor place(VolumeRequest r, ManagerState s, List<VolumeSpec> specs,
      Layouts layouts, Settings settings, long epoch) {
    if (s.map().volume(r.name()).isPresent() || specs.stream().anyMatch(x -> x.name().equals(r.name()))) {
      throw new IllegalArgumentException("a volume named '" + r.name() + "' exists already");
    }
    Layout layout = layouts.get(r.layout());
    Layout.Shape shape = layout.shape(r.copies(), r.width());
    if (r.spares() > 0 && !layout.redundant()) {
      throw new IllegalArgumentException("layout " + r.layout() + " has no redundancy to rebuild a spare from");
    }
    Map<String, String> options = new TreeMap<>(r.options());
    options.putAll(shape.options());
    Map<BladeId, Integer> nextPart = nextPartIndexes(s);
    // Layouts round members down to their unit (a stripe): a member of one more extent than the
    // plain share covers it, and a few more rounds cover any unit up to several extents.
    for (int more = 0; ; more++) {
      Map<DevicePath, Space> pool = space(s, specs, settings);
      List<Allocation> members;
      List<Allocation> spares;
      if (shape.members() == 0) {
        members = fill(r, pool, settings, more);
        spares = List.of();
      } else {
        long share = ceilDiv(r.sizeBytes(), shape.dataMembers());
        long extents = ceilDiv(share, settings.extentBytes()) + more;
        List<Allocation> chosen = spread(r, pool, settings, shape.members() + r.spares(), extents);
        members = chosen.subList(0, shape.members());
        spares = chosen.subList(shape.members(), chosen.size());
      }
      List<Part> parts = new ArrayList<>();
      List<ResourceDescriptor> memberDescriptors = new ArrayList<>();
      List<ResourceDescriptor> spareDescriptors = new ArrayList<>();
      Map<BladeId, Integer> next = new HashMap<>(nextPart);
      for (List<Allocation> group : List.of(members, spares)) {
        for (Allocation a : group) {
          BladeId blade = a.disk().blade();
          int index = next.merge(blade, 1, Integer::sum) - 1;
          Part p = new Part(new DevicePath(blade, Part.KIND, index), a.extents(), 0, epoch);
          parts.add(p);
          ResourceDescriptor d = new ResourceDescriptor(p.path(), new ResourceConfig.Block(a.blockSize(), p.blocks()));
          (group == members ? memberDescriptors : spareDescriptors).add(d);
        }
      }
      VolumeSpec spec = new VolumeSpec(r.name(), r.layout(), memberDescriptors.stream().map(ResourceDescriptor::path).toList(),
          spareDescriptors.stream().map(ResourceDescriptor::path).toList(), options);
      GlobalResourceDescriptor built = layout.build(spec, memberDescriptors, spareDescriptors, epoch);
      long wanted = ceilDiv(r.sizeBytes(), built.blockSize());
      if (built.capacityBlocks() >= wanted) return built.withParts(parts, wanted, epoch);
      if (more >= 4) {
        throw new IllegalArgumentException("layout " + r.layout() + " cannot make " + r.sizeBytes()
            + " bytes of its members (its unit is larger than 4 extents of " + settings.extentBytes() + " bytes)");
      }
    }
  }

  /**
   * Self-healing: a new part (allocated at {@code epoch}) for the member at {@code position} of {@code v}, which failed with no
   * spare: of the member's size, on a disk of the volume's block size on a blade that is up, where
   * the layout allows it (not with another copy of its data) and, if the failure domain allows,
   * in none of the other members' domains; the disk with the most free extents, then the first by
   * device path. Ready at once: the rebuild writes every byte the volume reads of it.
   */
  public static java.util.Optional<Part> replacement(GlobalResourceDescriptor v, int position, ManagerState s,
      List<VolumeSpec> specs, Layout layout, Settings settings, long epoch) {
    // While the volume grows, its new member takes the grown size; its blade zeroes the new end.
    long memberBlocks = v.growth() != null ? v.growth().memberBlocks() : v.memberBlocks();
    return newPart(v, position, memberBlocks, s, specs, layout, settings, epoch, Set.of())
        .map(p -> v.growth() != null ? p.withReady(Math.min(p.blocks(), v.memberBlocks())) : p);
  }

  /**
   * A new part of {@code blocks} blocks for the member at {@code position} of {@code v} (-1: a
   * hot spare, which may replace any member), on the disk with the most free extents among those
   * that are online, not being drained, of the volume's block size and outside the failure
   * domains of the other members and not on a blade of {@code avoid}, that the layout allows there; ready as it is (what it will
   * hold is copied in whole). Empty if no disk fits.
   */
  static java.util.Optional<Part> newPart(GlobalResourceDescriptor v, int position, long blocks, ManagerState s,
      List<VolumeSpec> specs, Layout layout, Settings settings, long epoch, Set<BladeId> avoid) {
    Map<DevicePath, Space> pool = space(s, specs, settings);
    Map<BladeId, Integer> next = nextPartIndexes(s);
    long extents = ceilDiv(blocks * v.blockSize(), settings.extentBytes());
    Set<Object> others = new HashSet<>();
    for (int i = 0; i < v.members().size(); i++) {
      if (i != position) others.add(settings.domain().key(v.member(i).blade()));
    }
    Space best = null;
    for (Space sp : pool.values()) {
      BladeId b = sp.disk().path().blade();
      DevicePath path = new DevicePath(b, Part.KIND, next.getOrDefault(b, 0));
      if (!sp.online() || avoid.contains(b) || sp.blockSize() != v.blockSize() || sp.free() < extents
          || others.contains(settings.domain().key(b)) || (position >= 0 && !layout.mayHold(v, position, path))) {
        continue;
      }
      if (best == null || sp.free() > best.free()) best = sp;
    }
    if (best == null) return java.util.Optional.empty();
    BladeId b = best.disk().path().blade();
    Allocation a = take(best, extents, settings);
    long total = a.extents().stream().mapToLong(Extent::blockCount).sum();
    return java.util.Optional.of(new Part(new DevicePath(b, Part.KIND, next.getOrDefault(b, 0)), a.extents(), total,
        epoch));
  }

  /**
   * Grows volume {@code name} to {@code sizeBytes}: the parts of the members its layout extends
   * ({@link Layout#growingMembers}), and its spares, get more extents of the disks they lie on;
   * the volume takes its new size once their blades have zeroed them. The descriptor growing, at
   * {@code epoch}; a clear error if it cannot grow so (whole disks, not in sync, already changing,
   * a layout whose blocks would move, no room on a part's disk).
   */
  public static GlobalResourceDescriptor grow(String name, long sizeBytes, ManagerState s, List<VolumeSpec> specs,
      Layouts layouts, Settings settings, long epoch) {
    GlobalResourceDescriptor v = s.map().volumes().get(name);
    if (v == null) throw new IllegalArgumentException("no volume '" + name + "'");
    if (v.parts().isEmpty()) {
      throw new IllegalArgumentException("volume '" + name + "' is made of whole disks (rackshare.volumes): only a"
          + " volume created on the pool grows");
    }
    if (!v.moves().isEmpty()) {
      throw new IllegalArgumentException("volume '" + name + "' is moving a member (a blade is drained): try again once"
          + " the move is done");
    }
    if (v.growth() != null || !v.partsReady()) {
      throw new IllegalArgumentException("volume '" + name + "' is being prepared or grown (parts being zeroed):"
          + " try again once it is done");
    }
    long wanted = ceilDiv(sizeBytes, v.blockSize());
    if (wanted <= v.capacityBlocks()) {
      throw new IllegalArgumentException("volume '" + name + "' has " + bytes(v.sizeBytes()) + " already: volumes"
          + " only grow");
    }
    for (io.rackshare.map.Member m : v.members()) {
      if (m.state() != io.rackshare.map.Member.State.ACTIVE) {
        throw new IllegalArgumentException("volume '" + name + "' grows only with every member in sync: "
            + m.device() + " is " + m.state());
      }
    }
    Layout layout = layouts.get(v.layout());
    List<Integer> growing = layout.growingMembers(v);
    if (growing.isEmpty()) {
      throw new IllegalArgumentException("volume '" + name + "' (" + v.layout() + ", " + v.members().size()
          + " members) cannot grow in place: its blocks' places depend on the member size");
    }
    List<DevicePath> extended = new ArrayList<>();
    for (int i : growing) extended.add(v.member(i).device());
    if (growing.size() == v.members().size()) extended.addAll(v.spares());
    // The fewest extents per part that make the size: each part at least its share, then doubled
    // while short (copies and parity add no capacity), then halved back to the least that does.
    long missing = (wanted - v.capacityBlocks()) * v.blockSize();
    long low = Math.max(1, ceilDiv(ceilDiv(missing, growing.size()), settings.extentBytes()));
    long high = low;
    GlobalResourceDescriptor built;
    while ((built = extendedBuild(v, extended, high, settings, layout, epoch)).capacityBlocks() < wanted) {
      low = high + 1;
      high *= 2;
      if (high > 1L << 40) throw new IllegalArgumentException("volume '" + name + "' cannot grow to " + sizeBytes);
    }
    while (low < high) {
      long mid = (low + high) >>> 1;
      if (extendedBuild(v, extended, mid, settings, layout, epoch).capacityBlocks() >= wanted) high = mid;
      else low = mid + 1;
    }
    built = extendedBuild(v, extended, high, settings, layout, epoch);
    Map<DevicePath, Space> pool = space(s, specs, settings);
    List<Part> parts = new ArrayList<>();
    for (Part p : v.parts()) {
      if (!extended.contains(p.path())) {
        parts.add(p);
        continue;
      }
      Space sp = pool.get(p.disk());
      if (sp == null || !sp.online() || sp.free() < high) {
        throw new IllegalArgumentException("volume '" + name + "' cannot grow to " + bytes(sizeBytes) + ": " + p.path()
            + " needs " + high + " more extent(s) of " + bytes(settings.extentBytes()) + " on " + p.disk() + ", which has "
            + (sp == null ? "none" : sp.free() + " free" + (sp.online() ? "" : " and is down"))
            + " (parts do not move to other disks yet)");
      }
      List<Extent> extents = new ArrayList<>(p.extents());
      extents.addAll(take(sp, high, settings, p.blocks()).extents());
      parts.add(new Part(p.path(), extents, p.readyBlocks(), p.since()));
    }
    return v.growing(parts, new io.rackshare.map.Growth(built.memberBlocks(), wanted, built.extents()), epoch);
  }

  /** {@code v} built again by its layout with the parts in {@code extended} longer by {@code extents} extents each. */
  private static GlobalResourceDescriptor extendedBuild(GlobalResourceDescriptor v, List<DevicePath> extended,
      long extents, Settings settings, Layout layout, long epoch) {
    long more = extents * (settings.extentBytes() / v.blockSize());
    java.util.function.Function<DevicePath, ResourceDescriptor> sized = d -> new ResourceDescriptor(d,
        new ResourceConfig.Block(v.blockSize(), v.part(d).orElseThrow().blocks() + (extended.contains(d) ? more : 0)));
    List<ResourceDescriptor> members = v.devices().stream().map(sized).toList();
    List<ResourceDescriptor> spares = v.spares().stream().map(sized).toList();
    VolumeSpec spec = new VolumeSpec(v.name(), v.layout(), v.devices(), v.spares(), v.options());
    return layout.build(spec, members, spares, epoch);
  }

  /** Extents of one disk given to one part. */
  private record Allocation(DevicePath disk, int blockSize, List<Extent> extents) {}

  /**
   * {@code count} allocations of {@code extents} extents each, on disks of different failure
   * domains (see the class comment), all of one block size.
   */
  private static List<Allocation> spread(VolumeRequest r, Map<DevicePath, Space> pool, Settings settings, int count,
      long extents) {
    List<Allocation> out = new ArrayList<>();
    Set<Object> usedDomains = new HashSet<>();
    Map<Integer, Integer> perRack = new HashMap<>();
    Map<List<Integer>, Integer> perChassis = new HashMap<>();
    int blockSize = 0;
    for (int k = 0; k < count; k++) {
      Space best = null;
      for (Space sp : pool.values()) {
        BladeId b = sp.disk().path().blade();
        if (!sp.online() || usedDomains.contains(settings.domain().key(b))) continue;
        if (blockSize != 0 && sp.blockSize() != blockSize) continue;
        if (sp.free() < extents) continue;
        if (best == null || better(sp, best, perRack, perChassis)) best = sp;
      }
      if (best == null) throw tooSmall(r, pool, settings, count, extents, out.size());
      BladeId b = best.disk().path().blade();
      usedDomains.add(settings.domain().key(b));
      perRack.merge(b.rack(), 1, Integer::sum);
      perChassis.merge(List.of(b.rack(), b.chassis()), 1, Integer::sum);
      blockSize = best.blockSize();
      out.add(take(best, extents, settings));
    }
    return out;
  }

  private static boolean better(Space a, Space b, Map<Integer, Integer> perRack, Map<List<Integer>, Integer> perChassis) {
    BladeId x = a.disk().path().blade();
    BladeId y = b.disk().path().blade();
    int c = Integer.compare(perRack.getOrDefault(x.rack(), 0), perRack.getOrDefault(y.rack(), 0));
    if (c == 0) {
      c = Integer.compare(perChassis.getOrDefault(List.of(x.rack(), x.chassis()), 0),
          perChassis.getOrDefault(List.of(y.rack(), y.chassis()), 0));
    }
    if (c == 0) {
      c = -Long.compare(a.free(), b.free());
    }
    if (c == 0) c = a.disk().path().compareTo(b.disk().path());
    return c < 0;
  }

  /** A span of width 0: disks in device-path order, each giving what it has, until the size is reached. */
  private static List<Allocation> fill(VolumeRequest r, Map<DevicePath, Space> pool, Settings settings, int more) {
    long left = ceilDiv(r.sizeBytes(), settings.extentBytes()) + more;
    List<Allocation> out = new ArrayList<>();
    int blockSize = 0;
    for (Space sp : pool.values()) {
      if (left == 0) break;
      if (!sp.online() || sp.free() == 0 || (blockSize != 0 && sp.blockSize() != blockSize)) continue;
      long n = Math.min(left, sp.free());
      out.add(take(sp, n, settings));
      blockSize = sp.blockSize();
      left -= n;
    }
    if (left > 0) {
      long free = pool.values().stream().filter(Space::online).mapToLong(Space::free).sum();
      throw new IllegalArgumentException("the pool cannot hold span '" + r.name() + "' of " + bytes(r.sizeBytes())
          + ": it has " + free + " free extent(s) of " + bytes(settings.extentBytes()) + " on blades that are up, "
          + (ceilDiv(r.sizeBytes(), settings.extentBytes()) + more) + " needed");
    }
    return out;
  }

  /**
   * {@code n} free extents of {@code sp} (it has them): the smallest free run that holds them
   * all, else runs from the start of the disk; marked used in {@code sp}, as extents of a part
   * that starts at block 0.
   */
  private static Allocation take(Space sp, long n, Settings settings) {
    return take(sp, n, settings, 0);
  }

  /** As above, for a part whose new extents start at block {@code partBlock}. */
  private static Allocation take(Space sp, long n, Settings settings, long partBlock) {
    BitSet used = sp.used();
    int bestStart = -1;
    long bestLength = Long.MAX_VALUE;
    for (int i = used.nextClearBit(0); i < sp.extents(); ) {
      int end = (int) Math.min(sp.extents(), used.nextSetBit(i) < 0 ? sp.extents() : used.nextSetBit(i));
      long run = end - i;
      if (run >= n && run < bestLength) {
        bestStart = i;
        bestLength = run;
      }
      i = used.nextClearBit(end);
    }
    List<int[]> runs = new ArrayList<>();
    if (bestStart >= 0) {
      runs.add(new int[] {bestStart, (int) n});
    } else {
      long left = n;
      for (int i = used.nextClearBit(0); left > 0 && i < sp.extents(); ) {
        int end = (int) Math.min(sp.extents(), used.nextSetBit(i) < 0 ? sp.extents() : used.nextSetBit(i));
        int k = (int) Math.min(left, end - i);
        runs.add(new int[] {i, k});
        left -= k;
        i = used.nextClearBit(end);
      }
    }
    long per = settings.extentBytes() / sp.blockSize();
    List<Extent> extents = new ArrayList<>();
    long at = partBlock;
    for (int[] run : runs) {
      extents.add(new Extent(at, run[1] * per, sp.disk().path(), run[0] * per));
      at += run[1] * per;
      used.set(run[0], run[0] + run[1]);
    }
    return new Allocation(sp.disk().path(), sp.blockSize(), extents);
  }

  private static IllegalArgumentException tooSmall(VolumeRequest r, Map<DevicePath, Space> pool, Settings settings,
      int count, long extents, int found) {
    StringBuilder have = new StringBuilder();
    for (Space sp : pool.values()) {
      if (have.length() > 0) have.append(", ");
      have.append(sp.disk().path()).append(' ').append(sp.free()).append(" free").append(sp.online() ? "" : " (down)");
    }
    return new IllegalArgumentException("the pool cannot hold " + r.layout() + " '" + r.name() + "' of "
        + bytes(r.sizeBytes()) + ": it needs " + count + " disk(s) in different " + settings.domain().plural() + " with " + extents + " free extent(s) of " + bytes(settings.extentBytes())
        + " each, and found " + found + " (pool: " + (have.length() == 0 ? "no disks" : have) + ")");
  }

  /** For each blade, the first index no part of it uses. */
  private static Map<BladeId, Integer> nextPartIndexes(ManagerState s) {
    Map<BladeId, Integer> next = new HashMap<>();
    for (GlobalResourceDescriptor v : s.map().volumes().values()) {
      for (Part p : v.parts()) next.merge(p.path().blade(), p.path().index() + 1, Math::max);
    }
    return next;
  }

  static long ceilDiv(long a, long b) {
    return -Math.floorDiv(-a, b);
  }

  /** {@code n} bytes in the largest binary unit that fits, e.g. "64 MiB" or "1.5 GiB". */
  public static String bytes(long n) {
    String[] units = {"PiB", "TiB", "GiB", "MiB", "KiB"};
    for (int i = 0; i < units.length; i++) {
      long unit = 1L << (10 * (units.length - i));
      if (n < unit) continue;
      return n % unit == 0 ? n / unit + " " + units[i] : String.format(Locale.ROOT, "%.1f %s", (double) n / unit, units[i]);
    }
    return n + " B";
  }
}
