package io.rackshare.map;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A volume as an operator declares it in {@code rackshare.volumes}: a name, a layout, the device
 * paths of its members and of its hot spares, and layout options (stripe size, read policy,
 * rebuild mode, ...), which the layout checks when it builds the volume.
 *
 * <pre>
 * { name = r1, layout = raid1, members = [...], spares = 1, read-policy = balanced }
 * </pre>
 *
 * {@code spares = N} makes the last N listed members hot spares; {@code spares = [paths]} names
 * them instead. Every other key is a layout option.
 */
public record VolumeSpec(
    String name, String layout, List<DevicePath> members, List<DevicePath> spares, Map<String, String> options) {

  private static final Set<String> KEYS = Set.of("name", "layout", "members", "spares", "options");

  public VolumeSpec {
    if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
      throw new IllegalArgumentException(
          "volume name '" + name + "' must be 1-64 letters, digits, '.', '_' or '-'");
    }
    if (members == null || members.isEmpty()) {
      throw new IllegalArgumentException("volume '" + name + "' has no members");
    }
    spares = spares == null ? List.of() : List.copyOf(spares);
    List<DevicePath> all = new ArrayList<>(members);
    all.addAll(spares);
    if (new HashSet<>(all).size() != all.size()) {
      throw new IllegalArgumentException("volume '" + name + "' lists a device twice: " + all);
    }
    members = List.copyOf(members);
    options = Map.copyOf(options);
  }

  public VolumeSpec(String name, String layout, List<DevicePath> members, Map<String, String> options) {
    this(name, layout, members, List.of(), options);
  }

  /** Members and spares: every device the volume needs registered before it is built. */
  public List<DevicePath> devices() {
    List<DevicePath> all = new ArrayList<>(members);
    all.addAll(spares);
    return all;
  }

  /** Reads {@code rackshare.volumes}; every mistake names the entry it is in. */
  public static List<VolumeSpec> listFromConfig(Config config, String path) {
    List<VolumeSpec> specs = new ArrayList<>();
    List<? extends Config> entries;
    try {
      entries = config.getConfigList(path);
    } catch (ConfigException e) {
      throw new IllegalArgumentException(path + ": " + e.getMessage(), e);
    }
    HashSet<String> names = new HashSet<>();
    for (int i = 0; i < entries.size(); i++) {
      Config c = entries.get(i);
      String where = path + "[" + i + "]";
      try {
        VolumeSpec spec = fromConfig(c);
        if (!names.add(spec.name())) {
          throw new IllegalArgumentException("volume name '" + spec.name() + "' is used twice");
        }
        specs.add(spec);
      } catch (ConfigException | IllegalArgumentException e) {
        throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
      }
    }
    return List.copyOf(specs);
  }

  private static VolumeSpec fromConfig(Config c) {
    List<DevicePath> members = new ArrayList<>();
    for (String m : c.getStringList("members")) members.add(DevicePath.parse(m));
    List<DevicePath> spares = new ArrayList<>();
    if (c.hasPath("spares")) {
      if (c.getValue("spares").valueType() == ConfigValueType.LIST) {
        for (String s : c.getStringList("spares")) spares.add(DevicePath.parse(s));
      } else {
        int n = c.getInt("spares");
        if (n < 0 || n >= members.size()) {
          throw new IllegalArgumentException(
              "spares = " + n + " must leave at least one of the " + members.size() + " members");
        }
        spares.addAll(members.subList(members.size() - n, members.size()));
        members = new ArrayList<>(members.subList(0, members.size() - n));
      }
    }
    Map<String, String> options = new TreeMap<>();
    if (c.hasPath("options")) {
      c.getConfig("options").entrySet()
          .forEach(e -> options.put(e.getKey(), String.valueOf(e.getValue().unwrapped())));
    }
    for (String key : c.root().keySet()) {
      if (!KEYS.contains(key)) options.put(key, String.valueOf(c.root().get(key).unwrapped()));
    }
    return new VolumeSpec(
        c.getString("name"), c.hasPath("layout") ? c.getString("layout") : "span", members, spares, options);
  }
}
