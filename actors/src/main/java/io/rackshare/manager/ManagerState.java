package io.rackshare.manager;

import io.rackshare.layout.Layouts;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.map.ResourceDescriptor;
import io.rackshare.map.VolumeSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The manager's state: the registered resources, which blades are offline, and the global
 * resource map. Immutable; {@link #apply} is the only way it changes, and {@link #decide} the
 * only place commands turn into events, so the state can be rebuilt by replaying events.
 */
public record ManagerState(
    Map<DevicePath, ResourceDescriptor> resources, Set<BladeId> offline, GlobalResourceMap map) {

  public static final ManagerState EMPTY = new ManagerState(Map.of(), Set.of(), GlobalResourceMap.EMPTY);

  public ManagerState {
    resources = Map.copyOf(resources);
    offline = Set.copyOf(offline);
  }

  public ManagerState apply(ManagerEvent event) {
    if (event instanceof ManagerEvent.ResourceRegistered r) {
      Map<DevicePath, ResourceDescriptor> res = new HashMap<>(resources);
      res.put(r.resource().path(), r.resource());
      Set<BladeId> off = new HashSet<>(offline);
      off.remove(r.resource().path().blade());
      return new ManagerState(res, off, map);
    } else if (event instanceof ManagerEvent.BladeLost l) {
      Set<BladeId> off = new HashSet<>(offline);
      off.add(l.blade());
      return new ManagerState(resources, off, map);
    } else if (event instanceof ManagerEvent.VolumeCreated v) {
      return new ManagerState(resources, offline, map.with(v.volume()));
    } else if (event instanceof ManagerEvent.MapAdopted a) {
      GlobalResourceMap adopted = a.map();
      for (GlobalResourceDescriptor d : map.volumes().values()) {
        if (adopted.volume(d.name()).isEmpty()) adopted = adopted.with(d);
      }
      return new ManagerState(resources, offline, adopted);
    }
    throw new IllegalArgumentException("unknown event " + event);
  }

  /** The outcome of a command: the events to persist and apply, and problems to report. */
  public record Decision(List<ManagerEvent> events, List<String> problems) {}

  /**
   * A blade registers its resources: record what is new or changed, adopt its map if it is newer
   * than ours, and aggregate every declared volume whose members are now all known.
   */
  public Decision decide(
      ManagerProtocol.RegisterResources r, List<VolumeSpec> specs, Layouts layouts) {
    List<ManagerEvent> events = new ArrayList<>();
    ManagerState s = this;
    if (r.currentMap().epoch() > map.epoch()) {
      ManagerEvent e = new ManagerEvent.MapAdopted(r.currentMap());
      events.add(e);
      s = s.apply(e);
    }
    for (ResourceDescriptor d : r.resources()) {
      if (!d.path().blade().equals(r.blade())) continue;
      if (!d.equals(s.resources.get(d.path())) || s.offline.contains(r.blade())) {
        ManagerEvent e = new ManagerEvent.ResourceRegistered(d);
        events.add(e);
        s = s.apply(e);
      }
    }
    List<String> problems = new ArrayList<>();
    for (VolumeSpec spec : specs) {
      if (s.map.volume(spec.name()).isPresent()) continue;
      List<ResourceDescriptor> members = new ArrayList<>();
      for (DevicePath p : spec.members()) {
        ResourceDescriptor d = s.resources.get(p);
        if (d != null) members.add(d);
      }
      if (members.size() < spec.members().size()) continue;
      try {
        GlobalResourceDescriptor volume =
            layouts.get(spec.layout()).build(spec, members, s.map.epoch() + 1);
        ManagerEvent e = new ManagerEvent.VolumeCreated(volume);
        events.add(e);
        s = s.apply(e);
      } catch (IllegalArgumentException ex) {
        problems.add("volume '" + spec.name() + "' cannot be built: " + ex.getMessage());
      }
    }
    return new Decision(events, problems);
  }

  /** Blades that hold resources and are no longer among {@code present}. */
  public List<ManagerEvent> bladesLost(Set<BladeId> present) {
    Set<BladeId> known = new HashSet<>();
    resources.keySet().forEach(p -> known.add(p.blade()));
    List<ManagerEvent> events = new ArrayList<>();
    for (BladeId b : known) {
      if (!present.contains(b) && !offline.contains(b)) events.add(new ManagerEvent.BladeLost(b));
    }
    return events;
  }

  /** Volumes declared but not built yet, with the members still missing. */
  public Map<String, List<DevicePath>> pendingVolumes(List<VolumeSpec> specs) {
    Map<String, List<DevicePath>> out = new TreeMap<>();
    for (VolumeSpec spec : specs) {
      if (map.volume(spec.name()).isPresent()) continue;
      out.put(spec.name(), spec.members().stream().filter(p -> !resources.containsKey(p)).toList());
    }
    return out;
  }
}
