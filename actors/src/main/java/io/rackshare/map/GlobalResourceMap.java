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
    Map<String, ConsoleRoute> consoles) implements RackshareSerializable {

  public static final GlobalResourceMap EMPTY = new GlobalResourceMap(0, Map.of());

  public GlobalResourceMap {
    if (epoch < 0) throw new IllegalArgumentException("epoch must be >= 0");
    volumes = Map.copyOf(volumes);
    // null: a map journalled or stored before the console was in the map.
    consoles = consoles == null ? Map.of() : Map.copyOf(consoles);
  }

  public GlobalResourceMap(long epoch, Map<String, GlobalResourceDescriptor> volumes) {
    this(epoch, volumes, Map.of());
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
    return new GlobalResourceMap(Math.max(epoch, r.epoch()), volumes, copy);
  }

  /** This map with its epoch set to {@code newEpoch}. */
  public GlobalResourceMap atEpoch(long newEpoch) {
    return new GlobalResourceMap(newEpoch, volumes, consoles);
  }

  public Optional<GlobalResourceDescriptor> volume(String name) {
    return Optional.ofNullable(volumes.get(name));
  }

  /** This map with {@code d} added or replaced, at the epoch of {@code d}. */
  public GlobalResourceMap with(GlobalResourceDescriptor d) {
    Map<String, GlobalResourceDescriptor> copy = new HashMap<>(volumes);
    copy.put(d.name(), d);
    return new GlobalResourceMap(Math.max(epoch, d.epoch()), copy, consoles);
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
            Long.toString(d.epoch()));
        md.update(canonical.getBytes(StandardCharsets.UTF_8));
      }
      for (ConsoleRoute r : new TreeMap<>(consoles).values()) {
        md.update(("console|" + r).getBytes(StandardCharsets.UTF_8));
      }
      return HexFormat.of().formatHex(md.digest(), 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
