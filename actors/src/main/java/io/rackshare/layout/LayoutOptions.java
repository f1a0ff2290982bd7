package io.rackshare.layout;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.VolumeSpec;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A volume's layout options, checked when the volume is built: unknown keys and bad values are
 * clear errors naming the volume. The descriptor keeps them normalised (sizes in bytes), so that
 * blades read them without parsing again.
 */
public final class LayoutOptions {

  public static final String STRIPE_SIZE = "stripe-size";
  public static final String COPIES = "copies";
  public static final String READ_POLICY = "read-policy";
  /** {@code online} (writes go on during a rebuild) or {@code offline} (writes wait for it). */
  public static final String REBUILD = "rebuild";
  /** Bytes per second a rebuild may copy; 0 = no limit. */
  public static final String REBUILD_RATE = "rebuild-rate";
  /** Bytes of volume space one bit of a parity coordinator's write-intent bitmap covers. */
  public static final String INTENT_REGION = "intent-region";

  /** Options every redundant layout takes. */
  static final Set<String> REDUNDANCY = Set.of(REBUILD, REBUILD_RATE);

  public static final String DEFAULT_REBUILD_RATE = String.valueOf(200L << 20);

  private final VolumeSpec spec;
  private final Map<String, String> normalised = new TreeMap<>();

  private LayoutOptions(VolumeSpec spec, Set<String> allowed) {
    this.spec = spec;
    Set<String> unknown = new TreeSet<>(spec.options().keySet());
    unknown.removeAll(allowed);
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException("layout " + spec.layout() + " has no option " + unknown
          + (allowed.isEmpty() ? " (it takes none)" : " (it takes " + new TreeSet<>(allowed) + ")"));
    }
  }

  static LayoutOptions check(VolumeSpec spec, Set<String> allowed) {
    return new LayoutOptions(spec, allowed);
  }

  /** Checks the options of a redundant layout: the rebuild options, {@code more}, nothing else. */
  static LayoutOptions checkRedundant(VolumeSpec spec, String... more) {
    Set<String> allowed = new java.util.HashSet<>(REDUNDANCY);
    allowed.addAll(Set.of(more));
    LayoutOptions o = new LayoutOptions(spec, allowed);
    o.rebuildOptions();
    return o;
  }

  /** A size such as {@code 64KiB}, a positive multiple of {@code unit}. */
  long size(String key, long orElse, long unit) {
    String raw = spec.options().get(key);
    long v = orElse;
    if (raw != null) {
      try {
        v = ConfigFactory.parseString("v = \"" + raw.replace("\"", "") + "\"").getBytes("v");
      } catch (ConfigException e) {
        throw new IllegalArgumentException(key + " = " + raw + " is not a size (e.g. 64KiB)");
      }
    }
    if (v <= 0 || v % unit != 0) {
      throw new IllegalArgumentException(key + " = " + v + " must be a positive multiple of " + unit);
    }
    normalised.put(key, Long.toString(v));
    return v;
  }

  int integer(String key, int orElse, int min) {
    String raw = spec.options().get(key);
    int v = orElse;
    if (raw != null) {
      try {
        v = Integer.parseInt(raw.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(key + " = " + raw + " is not a whole number");
      }
    }
    if (v < min) throw new IllegalArgumentException(key + " = " + v + " must be at least " + min);
    normalised.put(key, Integer.toString(v));
    return v;
  }

  String choice(String key, String orElse, String... allowed) {
    String v = spec.options().getOrDefault(key, orElse).trim();
    for (String a : allowed) {
      if (a.equals(v)) {
        normalised.put(key, v);
        return v;
      }
    }
    throw new IllegalArgumentException(key + " = " + v + " must be one of " + String.join(", ", allowed));
  }

  /** The rebuild options every redundant layout takes. */
  void rebuildOptions() {
    choice(REBUILD, "online", "online", "offline");
    String rate = spec.options().get(REBUILD_RATE);
    if (rate != null && rate.trim().equals("0")) normalised.put(REBUILD_RATE, "0");
    else size(REBUILD_RATE, Long.parseLong(DEFAULT_REBUILD_RATE), 1);
  }

  Map<String, String> normalised() {
    return Map.copyOf(normalised);
  }

  // ---- reading them back from a descriptor ---------------------------------------------------

  public static long longOption(GlobalResourceDescriptor v, String key, long orElse) {
    String s = v.options().get(key);
    return s == null ? orElse : Long.parseLong(s);
  }

  /** Whether writes must wait while a member is rebuilt ({@code rebuild = offline}). */
  public static boolean offlineRebuild(GlobalResourceDescriptor v) {
    return "offline".equals(v.options().get(REBUILD));
  }

  public static long rebuildRate(GlobalResourceDescriptor v) {
    return longOption(v, REBUILD_RATE, Long.parseLong(DEFAULT_REBUILD_RATE));
  }
}
