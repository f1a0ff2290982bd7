package io.rackshare.manager;

import io.rackshare.layout.Layout;
import io.rackshare.layout.Layouts;
import io.rackshare.map.BladeId;
import io.rackshare.map.ConsoleRoute;
import io.rackshare.map.DevicePath;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.map.Member;
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
 * resource map. Immutable; {@link #apply} is the only way it changes, and the deciding methods
 * the only place commands turn into events, so the state can be rebuilt by replaying events.
 *
 * <p>How members move (0092):
 *
 * <pre>
 *   ACTIVE --fails, volume goes on--> FAILED --spare--> (spare) REBUILDING --rebuilt--> ACTIVE
 *   ACTIVE --fails, volume fails---> OFFLINE --its blade is back--> ACTIVE
 *   FAILED --its blade is back, no spare took its place--> REBUILDING (resynchronised in place)
 *   REBUILDING --fails--> FAILED
 * </pre>
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
      // Volume by volume, the newer descriptor wins: every change of a volume gives it the epoch
      // of the change, so the newest descriptor anyone reports is the volume's latest state.
      GlobalResourceMap merged = map;
      // Removals first: a removed volume that another copy still lists stays removed.
      for (Map.Entry<String, Long> r : a.map().removed().entrySet()) {
        GlobalResourceDescriptor ours = merged.volumes().get(r.getKey());
        Long known = merged.removed().get(r.getKey());
        if ((ours == null || ours.epoch() <= r.getValue()) && (known == null || known < r.getValue())) {
          merged = merged.without(r.getKey(), r.getValue());
        }
      }
      for (GlobalResourceDescriptor d : a.map().volumes().values()) {
        GlobalResourceDescriptor ours = merged.volumes().get(d.name());
        if (merged.removes(d)) continue;
        if (ours == null || d.epoch() > ours.epoch()) merged = merged.with(d);
      }
      for (ConsoleRoute r : a.map().consoles().values()) {
        java.util.Optional<ConsoleRoute> ours = merged.console(r.station());
        if (ours.isEmpty() || r.epoch() > ours.get().epoch()) merged = merged.with(r);
      }
      for (Map.Entry<String, io.rackshare.map.Drain> d : a.map().drains().entrySet()) {
        io.rackshare.map.Drain ours = merged.drains().get(d.getKey());
        if (ours == null || d.getValue().epoch() > ours.epoch()) {
          merged = merged.with(BladeId.parse(d.getKey()), d.getValue());
        }
      }
      merged = merged.atEpoch(Math.max(merged.epoch(), a.map().epoch()));
      return new ManagerState(resources, offline, merged);
    } else if (event instanceof ManagerEvent.PartReady p) {
      GlobalResourceDescriptor v = map.volumes().get(p.volume());
      if (v == null) throw new IllegalArgumentException("no volume " + p.volume() + " for " + p);
      List<io.rackshare.map.Part> parts = new ArrayList<>();
      for (io.rackshare.map.Part part : v.parts()) {
        parts.add(part.path().equals(p.part()) ? part.withReady(Math.max(part.readyBlocks(), p.readyBlocks())) : part);
      }
      return new ManagerState(resources, offline, map.with(v.withParts(parts, v.capacityBlocks(), map.epoch() + 1)));
    } else if (event instanceof ManagerEvent.PartAllocated p) {
      GlobalResourceDescriptor v = map.volumes().get(p.volume());
      if (v == null) throw new IllegalArgumentException("no volume " + p.volume() + " for " + p);
      List<io.rackshare.map.Part> parts = new ArrayList<>(v.parts());
      parts.add(p.part());
      return new ManagerState(resources, offline, map.with(v.withParts(parts, v.capacityBlocks(), map.epoch() + 1)));
    } else if (event instanceof ManagerEvent.VolumeGrowing g) {
      GlobalResourceDescriptor v = map.volumes().get(g.volume());
      if (v == null) throw new IllegalArgumentException("no volume " + g.volume() + " for " + g);
      return new ManagerState(resources, offline, map.with(v.growing(g.parts(), g.growth(), map.epoch() + 1)));
    } else if (event instanceof ManagerEvent.VolumeGrown g) {
      GlobalResourceDescriptor v = map.volumes().get(g.volume());
      if (v == null || v.growth() == null) throw new IllegalArgumentException("no growth of " + g.volume());
      return new ManagerState(resources, offline, map.with(v.grown(map.epoch() + 1)));
    } else if (event instanceof ManagerEvent.VolumeRemoved r) {
      if (map.volume(r.volume()).isEmpty()) throw new IllegalArgumentException("no volume " + r.volume() + " to remove");
      return new ManagerState(resources, offline, map.without(r.volume(), map.epoch() + 1));
    } else if (event instanceof ManagerEvent.BladeDrainChanged d) {
      return new ManagerState(resources, offline, map.with(d.blade(), new io.rackshare.map.Drain(d.on(), map.epoch() + 1)));
    } else if (event instanceof ManagerEvent.MoveStarted m) {
      GlobalResourceDescriptor v = volume(m.volume(), m);
      long epoch = map.epoch() + 1;
      List<io.rackshare.map.Move> moves = new ArrayList<>(v.moves());
      moves.add(new io.rackshare.map.Move(m.position(), m.target().path(), epoch));
      List<io.rackshare.map.Part> parts = new ArrayList<>(v.parts());
      parts.add(m.target());
      return new ManagerState(resources, offline, map.with(v.withMoves(moves, parts, epoch)));
    } else if (event instanceof ManagerEvent.MoveCompleted m) {
      GlobalResourceDescriptor v = volume(m.volume(), m);
      long epoch = map.epoch() + 1;
      DevicePath source = v.member(m.position()).device();
      // A span's lookup table names its members' devices: the target takes the source's extents.
      List<io.rackshare.map.Extent> extents = v.extents().stream().map(e -> e.device().equals(source)
          ? new io.rackshare.map.Extent(e.volumeBlock(), e.blockCount(), m.target(), e.deviceBlock()) : e).toList();
      GlobalResourceDescriptor after = new GlobalResourceDescriptor(v.name(), v.layout(), v.blockSize(),
          v.capacityBlocks(), v.memberBlocks(), v.members(), v.spares(), extents, v.options(), epoch, v.parts(),
          v.growth(), v.moves().stream().filter(x -> x.position() != m.position()).toList())
          .withMember(m.position(), Member.active(m.target(), epoch).holding(incarnationOf(m.target())), epoch);
      return new ManagerState(resources, offline, map.with(withoutPart(after, source, epoch)));
    } else if (event instanceof ManagerEvent.MoveEnded m) {
      GlobalResourceDescriptor v = volume(m.volume(), m);
      long epoch = map.epoch() + 1;
      GlobalResourceDescriptor after = v.withMoves(
          v.moves().stream().filter(x -> !(x.position() == m.position() && x.target().equals(m.target()))).toList(),
          v.parts(), epoch);
      return new ManagerState(resources, offline, map.with(withoutPart(after, m.target(), epoch)));
    } else if (event instanceof ManagerEvent.SpareMoved m) {
      GlobalResourceDescriptor v = volume(m.volume(), m);
      long epoch = map.epoch() + 1;
      List<DevicePath> spares = new ArrayList<>(v.spares());
      spares.remove(m.spare());
      List<io.rackshare.map.Part> parts = new ArrayList<>(v.parts());
      if (m.by() != null) {
        spares.add(m.by().path());
        parts.add(m.by());
      }
      GlobalResourceDescriptor after = v.withSpares(spares, epoch).withParts(parts, v.capacityBlocks(), epoch);
      return new ManagerState(resources, offline, map.with(withoutPart(after, m.spare(), epoch)));
    } else if (event instanceof ManagerEvent.ConsoleRouted c) {
      return new ManagerState(resources, offline, map.with(c.route()));
    } else if (event instanceof ManagerEvent.MemberEvent m) {
      return new ManagerState(resources, offline, map.with(applyMember(m)));
    }
    throw new IllegalArgumentException("unknown event " + event);
  }

  /** The incarnation of {@code device}'s content if it is memory (see {@link Member#incarnation}), else null. */
  String incarnationOf(DevicePath device) {
    ResourceDescriptor r = resources.get(device);
    if (r != null && r.config() instanceof io.rackshare.map.ResourceConfig.Medium m) return m.incarnation();
    return r != null && r.config() instanceof io.rackshare.map.ResourceConfig.Block b ? b.incarnation() : null;
  }

  /** {@code v} with each member on memory holding its device's current incarnation (a volume just built). */
  private GlobalResourceDescriptor stamped(GlobalResourceDescriptor v) {
    for (int i = 0; i < v.members().size(); i++) {
      String inc = incarnationOf(v.member(i).device());
      if (inc != null) v = v.withMember(i, v.member(i).holding(inc), v.epoch());
    }
    return v;
  }

  private GlobalResourceDescriptor volume(String name, ManagerEvent e) {
    GlobalResourceDescriptor v = map.volumes().get(name);
    if (v == null) throw new IllegalArgumentException("no volume " + name + " for " + e);
    return v;
  }

  /** {@code v} without part {@code device} if it is one that is no longer member, spare or move target. */
  private static GlobalResourceDescriptor withoutPart(GlobalResourceDescriptor v, DevicePath device, long epoch) {
    if (!io.rackshare.map.Part.isPart(device) || v.devices().contains(device) || v.spares().contains(device)
        || v.moveTo(device).isPresent()) {
      return v;
    }
    return v.withParts(v.parts().stream().filter(p -> !p.path().equals(device)).toList(), v.capacityBlocks(), epoch);
  }

  private GlobalResourceDescriptor applyMember(ManagerEvent.MemberEvent e) {
    return movesOfMembersInSync(changedMember(e), map.epoch() + 1);
  }

  /**
   * {@code v} without the moves whose member is being rebuilt (its content lost, or back stale):
   * writes stop reaching a target once its member is not written as in sync, so what it copied is
   * no longer whole. Its part goes back to the pool, unless it took the member's place. (A member
   * that FAILED is decided for by {@link #fail}: its target takes its place, or the move ends.)
   */
  private static GlobalResourceDescriptor movesOfMembersInSync(GlobalResourceDescriptor v, long epoch) {
    for (io.rackshare.map.Move mv : v.moves()) {
      if (v.member(mv.position()).state() != Member.State.REBUILDING) continue;
      v = withoutPart(v.withMoves(v.moves().stream().filter(x -> !x.equals(mv)).toList(), v.parts(), epoch),
          mv.target(), epoch);
    }
    return v;
  }

  private GlobalResourceDescriptor changedMember(ManagerEvent.MemberEvent e) {
    GlobalResourceDescriptor v = map.volumes().get(e.volume());
    if (v == null) throw new IllegalArgumentException("no volume " + e.volume() + " for " + e);
    long epoch = map.epoch() + 1;
    Member m = v.member(e.position());
    if (e instanceof ManagerEvent.MemberFailed f) {
      return v.withMember(e.position(), m.with(f.state(), epoch), epoch);
    } else if (e instanceof ManagerEvent.SpareActivated s) {
      List<DevicePath> spares = new ArrayList<>(v.spares());
      spares.remove(s.spare());
      GlobalResourceDescriptor after = v.withSpares(spares, epoch)
          .withMember(e.position(), new Member(s.spare(), Member.State.REBUILDING, epoch), epoch);
      // A failed part that is no longer member or spare goes back to the pool.
      if (io.rackshare.map.Part.isPart(s.failed()) && !after.devices().contains(s.failed())
          && !after.spares().contains(s.failed())) {
        after = after.withParts(after.parts().stream().filter(p -> !p.path().equals(s.failed())).toList(),
            after.capacityBlocks(), epoch);
      }
      return after;
    } else if (e instanceof ManagerEvent.MemberReturned r) {
      return v.withMember(e.position(), m.with(r.state(), epoch), epoch);
    } else if (e instanceof ManagerEvent.MemberLost) {
      return v.withMember(e.position(), new Member(m.device(), Member.State.REBUILDING, epoch), epoch);
    } else if (e instanceof ManagerEvent.RebuildCompleted) {
      return v.withMember(e.position(), m.with(Member.State.ACTIVE, epoch).holding(incarnationOf(m.device())), epoch);
    }
    throw new IllegalArgumentException("unknown member event " + e);
  }

  /** The outcome of a command: the events to persist and apply, and problems to report. */
  public record Decision(List<ManagerEvent> events, List<String> problems) {}

  /** Collects events, applying each to a working copy of the state as it goes. */
  private static final class Changes {
    ManagerState state;
    final List<ManagerEvent> events = new ArrayList<>();

    Changes(ManagerState s) {
      this.state = s;
    }

    void add(ManagerEvent e) {
      events.add(e);
      state = state.apply(e);
    }
  }

  /**
   * A blade registers its resources: record what is new or changed, adopt its map if it is newer
   * than ours, aggregate every declared volume whose devices are now all known, and take back the
   * blade's members that were waiting for it.
   */
  public Decision decide(
      ManagerProtocol.RegisterResources r, List<VolumeSpec> specs, Layouts layouts) {
    Changes c = new Changes(this);
    Map<DevicePath, ResourceDescriptor> before = resources;
    if (newerThanOurs(r.currentMap())) c.add(new ManagerEvent.MapAdopted(r.currentMap()));
    for (ResourceDescriptor d : r.resources()) {
      if (!d.path().blade().equals(r.blade())) continue;
      if (!d.equals(c.state.resources.get(d.path())) || c.state.offline.contains(r.blade())) {
        c.add(new ManagerEvent.ResourceRegistered(d));
      }
    }
    List<String> problems = new ArrayList<>();
    media(c, r, specs, layouts, problems);
    for (VolumeSpec spec : specs) {
      if (c.state.map.volume(spec.name()).isPresent()) continue;
      List<ResourceDescriptor> members = known(c.state, spec.members());
      List<ResourceDescriptor> spares = known(c.state, spec.spares());
      if (members.size() < spec.members().size() || spares.size() < spec.spares().size()) continue;
      try {
        GlobalResourceDescriptor volume = c.state.stamped(
            layouts.get(spec.layout()).build(spec, members, spares, c.state.map.epoch() + 1));
        c.add(new ManagerEvent.VolumeCreated(volume));
      } catch (IllegalArgumentException ex) {
        problems.add("volume '" + spec.name() + "' cannot be built: " + ex.getMessage());
      }
    }
    lost(c, r, before);
    returned(c, r.blade());
    spares(c, layouts);
    return new Decision(c.events, problems);
  }

  /**
   * The registering blade's removable-media drives: a drive with a medium has its read-only
   * volume ({@link io.rackshare.layout.MediaLayout}), made for this medium (another medium's
   * volume is removed and made again, so no request made for the old one reads the new); an
   * empty drive has none. A name taken by another volume is a problem, and the drive is not shared.
   */
  private static void media(Changes c, ManagerProtocol.RegisterResources r, List<VolumeSpec> specs, Layouts layouts,
      List<String> problems) {
    for (ResourceDescriptor d : r.resources()) {
      if (!d.path().blade().equals(r.blade()) || !(d.config() instanceof io.rackshare.map.ResourceConfig.Medium m)) {
        continue;
      }
      java.util.Optional<GlobalResourceDescriptor> now = c.state.map.volume(m.volume());
      boolean ours = now.isPresent() && now.get().layout().equals(io.rackshare.layout.MediaLayout.NAME)
          && now.get().devices().equals(List.of(d.path()));
      if (now.isPresent() && !ours || specs.stream().anyMatch(s -> s.name().equals(m.volume()))) {
        problems.add(d.path() + ": its media volume '" + m.volume() + "' is not shared: another volume has that"
            + " name (set rackshare.blade.media[" + d.path().index() + "].name)");
        continue;
      }
      if (ours && m.inserted() && m.incarnation().equals(now.get().member(0).incarnation())) continue;
      if (ours) c.add(new ManagerEvent.VolumeRemoved(m.volume()));
      if (!m.inserted()) continue;
      VolumeSpec spec = new VolumeSpec(m.volume(), io.rackshare.layout.MediaLayout.NAME, List.of(d.path()), Map.of());
      c.add(new ManagerEvent.VolumeCreated(c.state.stamped(
          layouts.get(spec.layout()).build(spec, List.of(d), List.of(), c.state.map.epoch() + 1))));
    }
  }

  /** Whether {@code m} knows a volume or console route we do not, or a newer state of one. */
  private boolean newerThanOurs(GlobalResourceMap m) {
    if (m.epoch() > map.epoch()) return true;
    for (GlobalResourceDescriptor d : m.volumes().values()) {
      GlobalResourceDescriptor ours = map.volumes().get(d.name());
      if (!map.removes(d) && (ours == null || d.epoch() > ours.epoch())) return true;
    }
    for (Map.Entry<String, Long> r : m.removed().entrySet()) {
      if (map.removed().getOrDefault(r.getKey(), -1L) < r.getValue() && map.volume(r.getKey())
          .map(ours -> ours.epoch() <= r.getValue()).orElse(true)) {
        return true;
      }
    }
    for (ConsoleRoute r : m.consoles().values()) {
      java.util.Optional<ConsoleRoute> ours = map.console(r.station());
      if (ours.isEmpty() || r.epoch() > ours.get().epoch()) return true;
    }
    for (Map.Entry<String, io.rackshare.map.Drain> d : m.drains().entrySet()) {
      io.rackshare.map.Drain ours = map.drains().get(d.getKey());
      if (ours == null || d.getValue().epoch() > ours.epoch()) return true;
    }
    return false;
  }

  /**
   * Routes the console station on {@code r.station()} to {@code r.target()}'s console (0100-0105):
   * one {@link ManagerEvent.ConsoleRouted} at the next epoch, none if it is routed there already
   * (or, with {@code keepExisting}, anywhere). The target needs a registered video device; it may
   * be offline (the station then shows that it is down until it returns).
   */
  public Decision routeConsole(ManagerProtocol.RouteConsole r) {
    java.util.Optional<ConsoleRoute> now = map.console(r.station());
    if (now.isPresent() && (r.keepExisting() || now.get().target().equals(r.target()))) {
      return new Decision(List.of(), List.of());
    }
    ConsoleRoute route = ConsoleRoute.to(r.station(), r.target(), map.epoch() + 1);
    for (DevicePath device : List.of(route.video(), route.keyboard(), route.mouse())) {
      if (!resources.containsKey(device)) {
        return new Decision(List.of(), List.of(r.target() + " has no console (no " + device.kind()
            + " device registered; its rackshare.console.command is empty or it never joined)"));
      }
    }
    return new Decision(List.of(new ManagerEvent.ConsoleRouted(route)), List.of());
  }

  /**
   * An operator asks for volume {@code r} by size: its placement on the pool as one {@link
   * ManagerEvent.VolumeCreated} (its parts not ready until their blades zero them), or the reason
   * it cannot be made. Nothing is placed in part.
   */
  public Decision createVolume(io.rackshare.map.VolumeRequest r, List<VolumeSpec> specs, Layouts layouts,
      Pool.Settings pool) {
    try {
      GlobalResourceDescriptor v = Pool.place(r, this, specs, layouts, pool, map.epoch() + 1);
      return new Decision(List.of(new ManagerEvent.VolumeCreated(v)), List.of());
    } catch (IllegalArgumentException e) {
      return new Decision(List.of(), List.of(e.getMessage()));
    }
  }

  /**
   * A blade zeroed part {@code part} of {@code volume} up to {@code readyBlocks}: one {@link
   * ManagerEvent.PartReady}, or none if the map says so already or the part is no longer there.
   */
  public List<ManagerEvent> partReady(String volume, DevicePath part, long readyBlocks) {
    GlobalResourceDescriptor v = map.volumes().get(volume);
    if (v == null) return List.of();
    java.util.Optional<io.rackshare.map.Part> p = v.part(part);
    if (p.isEmpty() || p.get().readyBlocks() >= readyBlocks || readyBlocks > p.get().blocks()) return List.of();
    Changes c = new Changes(this);
    c.add(new ManagerEvent.PartReady(volume, part, readyBlocks));
    GlobalResourceDescriptor after = c.state.map.volumes().get(volume);
    // The last part of a growth ready: the volume takes its new size.
    if (after.growth() != null && after.partsReady()) c.add(new ManagerEvent.VolumeGrown(volume));
    return c.events;
  }

  /**
   * An operator removes volume {@code name}: one {@link ManagerEvent.VolumeRemoved} (its parts'
   * extents go back to the pool, zeroed when they are next given out), or the reason it cannot be:
   * it does not exist, or it is declared in {@code rackshare.volumes} (it would be made again).
   */
  public Decision removeVolume(String name, List<VolumeSpec> specs) {
    if (map.volume(name).isEmpty()) return new Decision(List.of(), List.of("no volume '" + name + "'"));
    if (map.volume(name).get().layout().equals(io.rackshare.layout.MediaLayout.NAME)) {
      return new Decision(List.of(), List.of("volume '" + name + "' is the medium in " + map.volume(name).get().devices()
          .get(0) + ": eject it instead (rackshare media eject)"));
    }
    if (specs.stream().anyMatch(s -> s.name().equals(name))) {
      return new Decision(List.of(), List.of("volume '" + name + "' is declared in rackshare.volumes: take it out of"
          + " the configuration instead"));
    }
    return new Decision(List.of(new ManagerEvent.VolumeRemoved(name)), List.of());
  }

  /**
   * An operator grows volume {@code name} to {@code sizeBytes} ({@link Pool#grow}): one {@link
   * ManagerEvent.VolumeGrowing}, or the reason it cannot.
   */
  public Decision growVolume(String name, long sizeBytes, List<VolumeSpec> specs, Layouts layouts, Pool.Settings pool) {
    try {
      GlobalResourceDescriptor v = Pool.grow(name, sizeBytes, this, specs, layouts, pool, map.epoch() + 1);
      return new Decision(List.of(new ManagerEvent.VolumeGrowing(name, v.parts(), v.growth())), List.of());
    } catch (IllegalArgumentException e) {
      return new Decision(List.of(), List.of(e.getMessage()));
    }
  }

  private static List<ResourceDescriptor> known(ManagerState s, List<DevicePath> paths) {
    List<ResourceDescriptor> out = new ArrayList<>();
    for (DevicePath p : paths) {
      ResourceDescriptor d = s.resources.get(p);
      if (d != null) out.add(d);
    }
    return out;
  }

  /**
   * Members on memory of the registering blade whose content is gone: the memory registers under
   * another incarnation than the one they hold (or, while rebuilt, than before), as after a
   * restart. They are rebuilt whole, never served or resynchronised as if intact.
   */
  private static void lost(Changes c, ManagerProtocol.RegisterResources r, Map<DevicePath, ResourceDescriptor> before) {
    for (ResourceDescriptor d : r.resources()) {
      if (!d.path().blade().equals(r.blade()) || !(d.config() instanceof io.rackshare.map.ResourceConfig.Block b)
          || !b.volatileContent()) {
        continue;
      }
      ResourceDescriptor old = before.get(d.path());
      boolean restarted = old != null && !d.equals(old);
      for (String name : new ArrayList<>(c.state.map.volumes().keySet())) {
        GlobalResourceDescriptor v = c.state.map.volumes().get(name);
        int i = v.positionOf(d.path());
        if (i < 0) continue;
        Member m = v.member(i);
        // A rebuild of only what it missed needs the content it had: the same incarnation.
        boolean gone = m.state() == Member.State.REBUILDING
            ? restarted || m.missedFrom() != 0 && !b.incarnation().equals(m.incarnation())
            : !b.incarnation().equals(m.incarnation());
        if (gone) {
          c.add(new ManagerEvent.MemberLost(name, i, d.path(), d.path() + " is memory that came back empty ("
              + r.blade() + " restarted)"));
        }
      }
    }
  }

  /**
   * {@code blade} is (back) in the cluster: its OFFLINE members are in sync and serve again; its
   * FAILED members that no spare replaced are resynchronised before they are read (a blade never
   * silently rejoins with stale data).
   */
  private static void returned(Changes c, BladeId blade) {
    for (GlobalResourceDescriptor v : c.state.map.volumes().values()) {
      for (int i = 0; i < v.members().size(); i++) {
        Member m = c.state.map.volumes().get(v.name()).member(i);
        if (!m.blade().equals(blade)) continue;
        if (m.state() == Member.State.OFFLINE) {
          c.add(new ManagerEvent.MemberReturned(v.name(), i, m.device(), Member.State.ACTIVE));
        } else if (m.state() == Member.State.FAILED) {
          c.add(new ManagerEvent.MemberReturned(v.name(), i, m.device(), Member.State.REBUILDING));
        }
      }
    }
  }

  /** Every FAILED member for which a hot spare fits takes it (0092). */
  private static void spares(Changes c, Layouts layouts) {
    for (String name : new ArrayList<>(c.state.map.volumes().keySet())) {
      for (int i = 0; ; i++) {
        GlobalResourceDescriptor v = c.state.map.volumes().get(name);
        if (i >= v.members().size()) break;
        if (v.member(i).state() != Member.State.FAILED) continue;
        Layout layout = layouts.get(v.layout());
        for (DevicePath spare : v.spares()) {
          // A part is known by its disk's registration; a whole disk by its own.
          DevicePath registered = io.rackshare.map.Part.isPart(spare)
              ? v.part(spare).map(io.rackshare.map.Part::disk).orElse(spare) : spare;
          boolean usable = c.state.resources.containsKey(registered) && !c.state.offline.contains(spare.blade())
              && layout.mayHold(v, i, spare);
          if (usable) {
            c.add(new ManagerEvent.SpareActivated(name, i, v.member(i).device(), spare));
            break;
          }
        }
      }
    }
  }

  /**
   * The member at {@code position} failed: FAILED if the volume goes on without it, OFFLINE if it
   * was in sync and the volume cannot (then no write is acknowledged without it).
   */
  private static void fail(Changes c, Layouts layouts, GlobalResourceDescriptor v, int position, String reason) {
    Member m = v.member(position);
    Member.State state = Member.State.FAILED;
    if (m.state() == Member.State.ACTIVE) {
      GlobalResourceDescriptor without = v.withMember(position, m.with(Member.State.FAILED, v.epoch()), v.epoch());
      if (layouts.get(v.layout()).health(without).failed()) state = Member.State.OFFLINE;
    }
    c.add(new ManagerEvent.MemberFailed(v.name(), position, m.device(), state, reason));
    java.util.Optional<io.rackshare.map.Move> move = v.move(position);
    if (state == Member.State.FAILED && move.isPresent()) {
      // A moving member lost: its target, which has had every write since the move began, takes
      // its place and is rebuilt from the other copies (a hot spare that was there already).
      if (c.state.offline.contains(move.get().target().blade())) {
        c.add(new ManagerEvent.MoveEnded(v.name(), position, move.get().target(), "its target's blade is down too"));
      } else {
        c.add(new ManagerEvent.SpareActivated(v.name(), position, m.device(), move.get().target()));
      }
    }
  }

  /** The moves whose target is {@code device} (or, with a null device, on {@code blade}) end, for {@code reason}. */
  private static void endMoves(Changes c, DevicePath device, BladeId blade, String reason) {
    for (GlobalResourceDescriptor v : c.state.map.volumes().values()) {
      for (io.rackshare.map.Move m : v.moves()) {
        if (device != null ? m.target().equals(device) : m.target().blade().equals(blade)) {
          c.add(new ManagerEvent.MoveEnded(v.name(), m.position(), m.target(), reason));
        }
      }
    }
  }

  /** A blade reports that a member failed under it. */
  public Decision memberFailed(ManagerProtocol.MemberFailed r, Layouts layouts) {
    Changes c = new Changes(this);
    GlobalResourceDescriptor v = map.volumes().get(r.volume());
    int position = v == null ? -1 : v.positionOf(r.device());
    if (v != null && v.moveTo(r.device()).isPresent()) {
      // A move's target failed: the move is rolled back (the member keeps its place); a drain tries again elsewhere.
      endMoves(c, r.device(), null, r.from() + ": " + r.reason());
      return new Decision(c.events, List.of());
    }
    if (position < 0 || !v.member(position).writable()) {
      return new Decision(List.of(), List.of()); // not a member any more, or already failed
    }
    if (v.layout().equals(io.rackshare.layout.MediaLayout.NAME) && !r.unreachable()) {
      // A medium's read error (or a request for a medium just changed) fails that request, not the drive.
      return new Decision(List.of(), List.of());
    }
    fail(c, layouts, v, position, r.from() + ": " + r.reason());
    spares(c, layouts);
    return new Decision(c.events, List.of());
  }

  /**
   * Blades that hold resources and are no longer among {@code present} are lost: their members
   * fail, and spares take their places.
   */
  public List<ManagerEvent> bladesLost(Set<BladeId> present, Layouts layouts) {
    Set<BladeId> known = new HashSet<>();
    resources.keySet().forEach(p -> known.add(p.blade()));
    Changes c = new Changes(this);
    for (BladeId b : known) {
      if (present.contains(b) || offline.contains(b)) continue;
      c.add(new ManagerEvent.BladeLost(b));
      endMoves(c, null, b, b + " left the cluster");
      for (String name : new ArrayList<>(c.state.map.volumes().keySet())) {
        for (int i = 0; i < c.state.map.volumes().get(name).members().size(); i++) {
          GlobalResourceDescriptor v = c.state.map.volumes().get(name);
          if (v.member(i).blade().equals(b) && v.member(i).writable()) fail(c, layouts, v, i, b + " left the cluster");
        }
      }
    }
    spares(c, layouts);
    return c.events;
  }

  /**
   * OFFLINE members whose blade is here after all (a failure reported over a link that broke,
   * while the blade stayed in the cluster) serve again: they are in sync.
   */
  public List<ManagerEvent> offlineBack(Set<BladeId> present) {
    Changes c = new Changes(this);
    for (GlobalResourceDescriptor v : map.volumes().values()) {
      for (int i = 0; i < v.members().size(); i++) {
        Member m = v.member(i);
        // Memory that came back under another incarnation is empty: its registration rebuilds it (lost()).
        boolean intact = incarnationOf(m.device()) == null || incarnationOf(m.device()).equals(m.incarnation());
        if (m.state() == Member.State.OFFLINE && present.contains(m.blade()) && !offline.contains(m.blade()) && intact) {
          c.add(new ManagerEvent.MemberReturned(v.name(), i, m.device(), Member.State.ACTIVE));
        }
      }
    }
    return c.events;
  }

  /** The FAILED members, each as {@code volume#position@epoch} (the epoch it failed at). */
  public java.util.Set<String> failedMembers() {
    java.util.Set<String> out = new java.util.HashSet<>();
    for (GlobalResourceDescriptor v : map.volumes().values()) {
      for (int i = 0; i < v.members().size(); i++) {
        Member m = v.member(i);
        if (m.state() == Member.State.FAILED) out.add(v.name() + "#" + i + "@" + m.since());
      }
    }
    return out;
  }

  /**
   * Self-healing: each FAILED member that {@code waited} long enough (by its {@link
   * #failedMembers} key) and that no hot spare replaced takes a free disk of the pool: a
   * registered block device in no volume (as member or spare), on a blade that is present, of the
   * volume's block size, with room for a member, that the layout allows at that position (not on a
   * blade that holds another copy). The first such disk in device-path order; none: a part of
   * the pool's free extents (see below); none either: it waits. A volume of parts always takes a
   * part.
   */
  public List<ManagerEvent> replaceFromPool(Layouts layouts, java.util.function.Predicate<String> waited) {
    return replaceFromPool(layouts, waited, List.of(), Pool.Settings.DEFAULT);
  }

  /**
   * As above; where no whole disk fits, a new part of the pool's free extents ({@link
   * Pool#replacement}; {@code specs} name disks the pool may not use) takes the member's place.
   */
  public List<ManagerEvent> replaceFromPool(Layouts layouts, java.util.function.Predicate<String> waited,
      List<VolumeSpec> specs, Pool.Settings pool) {
    Changes c = new Changes(this);
    for (String name : new ArrayList<>(map.volumes().keySet())) {
      for (int i = 0; ; i++) {
        GlobalResourceDescriptor v = c.state.map.volumes().get(name);
        if (i >= v.members().size()) break;
        Member m = v.member(i);
        if (m.state() != Member.State.FAILED || !waited.test(name + "#" + i + "@" + m.since())) continue;
        Layout layout = layouts.get(v.layout());
        java.util.Set<DevicePath> used = new java.util.HashSet<>();
        for (GlobalResourceDescriptor other : c.state.map.volumes().values()) {
          other.members().forEach(x -> used.add(x.device()));
          used.addAll(other.spares());
          // A disk whose extents hold parts is not free as a whole.
          other.parts().forEach(x -> used.add(x.disk()));
        }
        for (VolumeSpec spec : specs) used.addAll(spec.devices());
        boolean replaced = false;
        // A volume of parts takes a part (a whole disk for a member would waste the rest of it).
        for (ResourceDescriptor r : v.parts().isEmpty() ? new java.util.TreeMap<>(c.state.resources).values()
            : List.<ResourceDescriptor>of()) {
          if (!(r.config() instanceof io.rackshare.map.ResourceConfig.Block b)) continue;
          // Never memory for a disk's place: a volume does not become volatile by itself.
          boolean fits = !b.volatileContent() && !used.contains(r.path()) && !c.state.offline.contains(r.path().blade())
              && !c.state.map.draining(r.path().blade())
              && b.blockSize() == v.blockSize() && b.blockCount() >= v.memberBlocks() && layout.mayHold(v, i, r.path());
          if (fits) {
            c.add(new ManagerEvent.SpareActivated(name, i, m.device(), r.path()));
            replaced = true;
            break;
          }
        }
        if (!replaced) {
          java.util.Optional<io.rackshare.map.Part> part = Pool.replacement(v, i, c.state, specs, layout, pool,
              c.state.map.epoch() + 1);
          if (part.isPresent()) {
            c.add(new ManagerEvent.PartAllocated(name, part.get()));
            c.add(new ManagerEvent.SpareActivated(name, i, m.device(), part.get().path()));
          }
        }
      }
    }
    return c.events;
  }

  /**
   * An operator drains ({@code on}) or undrains {@code blade}: one {@link
   * ManagerEvent.BladeDrainChanged} (none if it is so already). An undrain rolls back the moves
   * away from it that are under way. A blade that never registered anything is refused.
   */
  public Decision drain(BladeId blade, boolean on) {
    if (resources.keySet().stream().noneMatch(p -> p.blade().equals(blade))) {
      return new Decision(List.of(), List.of(blade + " has registered no resources: no such blade"));
    }
    if (map.draining(blade) == on) return new Decision(List.of(), List.of());
    Changes c = new Changes(this);
    c.add(new ManagerEvent.BladeDrainChanged(blade, on));
    if (!on) {
      for (GlobalResourceDescriptor v : map.volumes().values()) {
        for (io.rackshare.map.Move m : v.moves()) {
          if (v.member(m.position()).blade().equals(blade)) {
            c.add(new ManagerEvent.MoveEnded(v.name(), m.position(), m.target(), blade + UNDRAINED));
          }
        }
      }
    }
    return new Decision(c.events, List.of());
  }

  /**
   * What draining blades still hold, on its way out: each spare on one gets a part elsewhere (or
   * goes, if none fits: a volume keeps its copies before its spares); each volume with no move
   * under way moves its first in-sync member on one ({@link ManagerEvent.MoveStarted}) to a new
   * part on a blade that may hold it, while fewer than {@code maxMoves} moves run in all. A volume
   * that is growing or being prepared waits; a member whose move has nowhere to go waits for room.
   */
  public List<ManagerEvent> drainMoves(Layouts layouts, List<VolumeSpec> specs, Pool.Settings pool, int maxMoves) {
    return drainMoves(layouts, specs, pool, maxMoves, Set.of());
  }

  /** The reason of a move rolled back by an undrain, after the blade's name. */
  public static final String UNDRAINED = " is no longer drained";

  /** As above, putting nothing on the blades of {@code avoid} (unreachable, or where a move just failed). */
  public List<ManagerEvent> drainMoves(Layouts layouts, List<VolumeSpec> specs, Pool.Settings pool, int maxMoves,
      Set<BladeId> avoid) {
    if (map.drainingBlades().isEmpty()) return List.of();
    Changes c = new Changes(this);
    int running = 0;
    for (GlobalResourceDescriptor v : map.volumes().values()) running += v.moves().size();
    for (String name : new TreeMap<>(map.volumes()).keySet()) {
      GlobalResourceDescriptor v = c.state.map.volumes().get(name);
      if (v.growth() != null || !v.partsReady()) continue;
      Layout layout = layouts.get(v.layout());
      if (layout.readOnly()) continue; // a medium stays in its drive
      for (DevicePath spare : v.spares()) {
        if (!map.draining(spare.blade())) continue;
        GlobalResourceDescriptor now = c.state.map.volumes().get(name);
        long blocks = now.part(spare).map(io.rackshare.map.Part::blocks).orElse(now.memberBlocks());
        c.add(new ManagerEvent.SpareMoved(name, spare,
            Pool.newPart(now, -1, blocks, c.state, specs, layout, pool, c.state.map.epoch() + 1, avoid).orElse(null)));
      }
      v = c.state.map.volumes().get(name);
      if (!v.moves().isEmpty() || running >= maxMoves) continue;
      for (int i = 0; i < v.members().size(); i++) {
        Member m = v.member(i);
        if (!map.draining(m.blade()) || m.state() != Member.State.ACTIVE) continue;
        long blocks = Pool.ceilDiv(layout.moveRange(v, i)[1], v.blockSize());
        java.util.Optional<io.rackshare.map.Part> target =
            Pool.newPart(v, i, blocks, c.state, specs, layout, pool, c.state.map.epoch() + 1, avoid);
        if (target.isEmpty()) continue;
        c.add(new ManagerEvent.MoveStarted(name, i, target.get()));
        running++;
        break;
      }
    }
    return c.events;
  }

  /** A blade finished copying a member to its move's target: the target takes the member's place. */
  public List<ManagerEvent> moveDone(ManagerProtocol.MoveDone r) {
    GlobalResourceDescriptor v = map.volumes().get(r.volume());
    if (v == null || r.position() < 0 || r.position() >= v.members().size()) return List.of();
    boolean current = v.move(r.position()).filter(m -> m.target().equals(r.target()) && m.since() == r.since())
        .isPresent();
    if (!current || v.member(r.position()).state() != Member.State.ACTIVE) return List.of();
    return List.of(new ManagerEvent.MoveCompleted(r.volume(), r.position(), r.target()));
  }

  /** A blade finished rebuilding a member. */
  public List<ManagerEvent> rebuildDone(ManagerProtocol.RebuildDone r) {
    GlobalResourceDescriptor v = map.volumes().get(r.volume());
    if (v == null || r.position() < 0 || r.position() >= v.members().size()) return List.of();
    Member m = v.member(r.position());
    if (!m.device().equals(r.device()) || m.state() != Member.State.REBUILDING || m.since() != r.since()) {
      return List.of(); // a rebuild that was overtaken by another change
    }
    return List.of(new ManagerEvent.RebuildCompleted(r.volume(), r.position(), r.device()));
  }

  /** Volumes declared but not built yet, with the devices still missing. */
  public Map<String, List<DevicePath>> pendingVolumes(List<VolumeSpec> specs) {
    Map<String, List<DevicePath>> out = new TreeMap<>();
    for (VolumeSpec spec : specs) {
      if (map.volume(spec.name()).isPresent()) continue;
      out.put(spec.name(), spec.devices().stream().filter(p -> !resources.containsKey(p)).toList());
    }
    return out;
  }
}
