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
 */
public record GlobalResourceMap(long epoch, Map<String, GlobalResourceDescriptor> volumes)
    implements RackshareSerializable {

  public static final GlobalResourceMap EMPTY = new GlobalResourceMap(0, Map.of());

  public GlobalResourceMap {
    if (epoch < 0) throw new IllegalArgumentException("epoch must be >= 0");
    volumes = Map.copyOf(volumes);
  }

  public Optional<GlobalResourceDescriptor> volume(String name) {
    return Optional.ofNullable(volumes.get(name));
  }

  /** This map with {@code d} added or replaced, at the epoch of {@code d}. */
  public GlobalResourceMap with(GlobalResourceDescriptor d) {
    Map<String, GlobalResourceDescriptor> copy = new HashMap<>(volumes);
    copy.put(d.name(), d);
    return new GlobalResourceMap(Math.max(epoch, d.epoch()), copy);
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
      return HexFormat.of().formatHex(md.digest(), 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
