package io.rackshare.layout;

import com.typesafe.config.Config;
import io.rackshare.map.ResourceDescriptor;
import io.rackshare.map.VolumeSpec;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The layout plug-ins known to this node, from {@code rackshare.layouts} (name = class). */
public final class Layouts {

  private final Map<String, Layout> byName;

  private Layouts(Map<String, Layout> byName) {
    this.byName = Map.copyOf(byName);
  }

  public static Layouts of(Layout... layouts) {
    Map<String, Layout> m = new TreeMap<>();
    for (Layout l : layouts) m.put(l.name(), l);
    return new Layouts(m);
  }

  public static Layouts fromConfig(Config layoutsConfig) {
    Map<String, Layout> m = new TreeMap<>();
    for (String name : layoutsConfig.root().keySet()) {
      String className = layoutsConfig.getString(name);
      Layout layout;
      try {
        layout = (Layout) Class.forName(className).getDeclaredConstructor().newInstance();
      } catch (ReflectiveOperationException | ClassCastException e) {
        throw new IllegalArgumentException(
            "rackshare.layouts." + name + ": cannot load layout class " + className, e);
      }
      if (!layout.name().equals(name)) {
        throw new IllegalArgumentException(
            "rackshare.layouts." + name + ": class " + className + " calls itself " + layout.name());
      }
      m.put(name, layout);
    }
    return new Layouts(m);
  }

  /** The layout called {@code name}, or a clear error listing the known ones. */
  public Layout get(String name) {
    Layout l = byName.get(name);
    if (l == null) {
      throw new IllegalArgumentException(
          "unknown layout '" + name + "' (known: " + String.join(", ", byName.keySet()) + ")");
    }
    return l;
  }

  /** The block size all members of {@code spec} share; layouts do not mix block sizes. */
  static int commonBlockSize(VolumeSpec spec, List<ResourceDescriptor> members) {
    if (members.size() != spec.members().size()) {
      throw new IllegalArgumentException(
          "volume '" + spec.name() + "' needs " + spec.members().size() + " members, got "
              + members.size());
    }
    int bs = members.get(0).block().blockSize();
    for (ResourceDescriptor m : members) {
      if (m.block().blockSize() != bs) {
        throw new IllegalArgumentException(
            "volume '" + spec.name() + "': members have different block sizes (" + bs + " and "
                + m.block().blockSize() + " at " + m.path() + ")");
      }
    }
    return bs;
  }
}
