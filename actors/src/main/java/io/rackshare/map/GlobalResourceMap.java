package io.rackshare.map;

import io.rackshare.serialization.RackshareSerializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The global resource map (0078, 812): every global resource by name, at a map epoch that grows
 * with every change. Immutable; blades swap whole maps.
 *
 * <p>{@code volumes}: the virtual volumes by name. {@code consoles}: the shared console's routes,
 * by the station's blade ({@link BladeId#toString}).
 */
public record GlobalResourceMap(long epoch, Map<String, GlobalResourceDescriptor> volumes,
    Map<String, ConsoleRoute> consoles, Map<String, Long> removed, Map<String, Drain> drains)
    implements RackshareSerializable {

  public static final GlobalResourceMap EMPTY = new GlobalResourceMap(0, Map.of());

  public GlobalResourceMap {
    if (epoch < 0) throw new IllegalArgumentException("epoch must be >= 0");
    volumes = Map.copyOf(volumes);
    // null: a map journalled or stored before the console was in the map.
    consoles = consoles == null ? Map.of() : Map.copyOf(consoles);
    // Volumes removed, with the epoch of their removal: a map merged from the blades' copies
    // after a failover must not bring back a volume one of them still lists (tombstones).
    removed = removed == null ? Map.of() : Map.copyOf(removed);
    // Drains and undrains of blades, by blade ({@link BladeId#toString}).
    drains = drains == null ? Map.of() : Map.copyOf(drains);
  }

  public GlobalResourceMap(long epoch, Map<String, GlobalResourceDescriptor> volumes,
      Map<String, ConsoleRoute> consoles, Map<String, Long> removed) {
    this(epoch, volumes, consoles, removed, Map.of());
  }

  public GlobalResourceMap(long epoch, Map<String, GlobalResourceDescriptor> volumes,
      Map<String, ConsoleRoute> consoles) {
    this(epoch, volumes, consoles, Map.of());
  }

  public GlobalResourceMap(long epoch, Map<String, GlobalResourceDescriptor> volumes) {
    this(epoch, volumes, Map.of());
  }

  /** This map without volume {@code name}, removed at {@code atEpoch} (its tombstone). */
  public GlobalResourceMap without(String name, long atEpoch) {
    Map<String, GlobalResourceDescriptor> copy = new HashMap<>(volumes);
    copy.remove(name);
    Map<String, Long> gone = new HashMap<>(removed);
    gone.merge(name, atEpoch, Math::max);
    return new GlobalResourceMap(Math.max(epoch, atEpoch), copy, consoles, gone, drains);
  }

  /** Whether {@code d} is older than the removal of its volume this map knows of. */
  public boolean removes(GlobalResourceDescriptor d) {
    Long at = removed.get(d.name());
    return at != null && at >= d.epoch();
  }

  /** Where the console station on {@code station} is routed, if anywhere. */
  public Optional<ConsoleRoute> console(BladeId station) {
    return Optional.ofNullable(consoles.get(station.toString()));
  }

  /** Whether this map routes the console station on {@code station} to {@code target}'s console. */
  public boolean routesConsole(BladeId station, BladeId target) {
    return console(station).map(r -> r.target().equals(target)).orElse(false);
  }

  /** This map with the station's route set to {@code r}, at the epoch of {@code r}. */
  public GlobalResourceMap with(ConsoleRoute r) {
    Map<String, ConsoleRoute> copy = new HashMap<>(consoles);
    copy.put(r.station().toString(), r);
    return new GlobalResourceMap(Math.max(epoch, r.epoch()), volumes, copy, removed, drains);
  }

  /** This map with its epoch set to {@code newEpoch}. */
  public GlobalResourceMap atEpoch(long newEpoch) {
    return new GlobalResourceMap(newEpoch, volumes, consoles, removed, drains);
  }

  /** Whether {@code blade} is being drained (or drained): it takes no new extents and gives its own away. */
  public boolean draining(BladeId blade) {
    Drain d = drains.get(blade.toString());
    return d != null && d.on();
  }

  /** The blades being drained, in order. */
  public java.util.SortedSet<BladeId> drainingBlades() {
    java.util.SortedSet<BladeId> out = new java.util.TreeSet<>();
    drains.forEach((b, d) -> {
      if (d.on()) out.add(BladeId.parse(b));
    });
    return out;
  }

  /**
   * What {@code blade} holds of the volumes, as {@code volume: device} (members, and spares
   * marked so): nothing once a drain of it is done.
   */
  public java.util.List<String> heldBy(BladeId blade) {
    java.util.List<String> out = new java.util.ArrayList<>();
    for (GlobalResourceDescriptor v : new TreeMap<>(volumes).values()) {
      // A medium stays in its drive: a drain leaves it.
      if (v.layout().equals(io.rackshare.layout.MediaLayout.NAME)) continue;
      for (Member m : v.members()) if (m.blade().equals(blade)) out.add(v.name() + ": " + m.device());
      for (DevicePath d : v.spares()) if (d.blade().equals(blade)) out.add(v.name() + ": " + d + " (spare)");
    }
    return out;
  }

  /** This map with {@code blade}'s drain set to {@code d}, at the epoch of {@code d}. */
  public GlobalResourceMap with(BladeId blade, Drain d) {
    Map<String, Drain> copy = new HashMap<>(drains);
    copy.put(blade.toString(), d);
    return new GlobalResourceMap(Math.max(epoch, d.epoch()), volumes, consoles, removed, copy);
  }

  public Optional<GlobalResourceDescriptor> volume(String name) {
    return Optional.ofNullable(volumes.get(name));
  }

  /**
   * This map with {@code d} added or replaced, at the epoch of {@code d}; a volume made again
   * after its removal drops its tombstone.
   */
  public GlobalResourceMap with(GlobalResourceDescriptor d) {
    Map<String, GlobalResourceDescriptor> copy = new HashMap<>(volumes);
    copy.put(d.name(), d);
    Map<String, Long> gone = removed;
    if (removed.containsKey(d.name())) {
      gone = new HashMap<>(removed);
      gone.remove(d.name());
    }
    return new GlobalResourceMap(Math.max(epoch, d.epoch()), copy, consoles, gone, drains);
  }

  /**
   * A stable digest of the map's content, the same on every blade holding the same map: what
   * operators and tests compare to see that all local copies agree.
   */
  public String digest() {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(Long.toString(epoch).getBytes(StandardCharsets.UTF_8));
      for (GlobalResourceDescriptor d : new TreeMap<>(volumes).values()) {
        // Field by field: a record's toString prints its maps in their iteration order, which
        // for Map.copyOf differs from one JVM to the next.
        String canonical = String.join("|", d.name(), d.layout(), Integer.toString(d.blockSize()),
            Long.toString(d.capacityBlocks()), Long.toString(d.memberBlocks()), d.members().toString(),
            d.spares().toString(), d.extents().toString(), new TreeMap<>(d.options()).toString(),
            Long.toString(d.epoch()), d.parts().toString(), String.valueOf(d.growth()), d.moves().toString());
        md.update(canonical.getBytes(StandardCharsets.UTF_8));
      }
      for (ConsoleRoute r : new TreeMap<>(consoles).values()) {
        md.update(("console|" + r).getBytes(StandardCharsets.UTF_8));
      }
      for (Map.Entry<String, Long> r : new TreeMap<>(removed).entrySet()) {
        md.update(("removed|" + r.getKey() + "@" + r.getValue()).getBytes(StandardCharsets.UTF_8));
      }
      for (Map.Entry<String, Drain> r : new TreeMap<>(drains).entrySet()) {
        md.update(("drain|" + r.getKey() + "@" + r.getValue()).getBytes(StandardCharsets.UTF_8));
      }
      return HexFormat.of().formatHex(md.digest(), 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
