package io.rackshare.map;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A volume as an operator declares it in {@code rackshare.volumes}: a name, a layout and the
 * device paths of its members, plus layout options (e.g. a stripe size later).
 */
public record VolumeSpec(String name, String layout, List<DevicePath> members, Map<String, String> options) {

  public VolumeSpec {
    if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
      throw new IllegalArgumentException(
          "volume name '" + name + "' must be 1-64 letters, digits, '.', '_' or '-'");
    }
    if (members == null || members.isEmpty()) {
      throw new IllegalArgumentException("volume '" + name + "' has no members");
    }
    if (new HashSet<>(members).size() != members.size()) {
      throw new IllegalArgumentException("volume '" + name + "' lists a member twice: " + members);
    }
    members = List.copyOf(members);
    options = Map.copyOf(options);
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
        List<DevicePath> members = new ArrayList<>();
        for (String m : c.getStringList("members")) members.add(DevicePath.parse(m));
        Map<String, String> options = new TreeMap<>();
        if (c.hasPath("options")) {
          c.getConfig("options").entrySet()
              .forEach(e -> options.put(e.getKey(), String.valueOf(e.getValue().unwrapped())));
        }
        VolumeSpec spec =
            new VolumeSpec(
                c.getString("name"),
                c.hasPath("layout") ? c.getString("layout") : "span",
                members,
                options);
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
}
