package io.rackshare.management;

import io.rackshare.blade.Blade;
import io.rackshare.layout.Health;
import io.rackshare.layout.Layout;
import io.rackshare.layout.Layouts;
import io.rackshare.manager.ManagerBackup;
import io.rackshare.manager.ManagerProtocol;
import io.rackshare.manager.ResourceManager;
import io.rackshare.map.BladeId;
import io.rackshare.map.ResourceDescriptor;
import java.util.Optional;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.Member;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one blade knows, for operators and tests: who it is, where the manager runs, which blades
 * it talks to, and every
 * volume of its local map with its health, members, spares and rebuild progress. The management
 * endpoint serves it as JSON; {@code rackshare status} prints it.
 */
public record BladeStatus(String blade, String manager, List<String> blades, long mapEpoch, String mapDigest,
    List<Volume> volumes, String nomination, String routing, String managerAddress, String backup,
    String backupAddress, List<BladeInfo> bladeDetails, ManagerRecovery managerRecovery,
    BackupFollowing backupFollowing, List<Console> consoles, Quorum quorum, Seat seat, List<DrainStatus> drains) {

  @com.fasterxml.jackson.annotation.JsonCreator
  public BladeStatus {
    drains = drains == null ? List.of() : drains;
  }

  public BladeStatus(String blade, String manager, List<String> blades, long mapEpoch, String mapDigest,
      List<Volume> volumes, String nomination, String routing, String managerAddress, String backup,
      String backupAddress, List<BladeInfo> bladeDetails, ManagerRecovery managerRecovery,
      BackupFollowing backupFollowing, List<Console> consoles, Quorum quorum, Seat seat) {
    this(blade, manager, blades, mapEpoch, mapDigest, volumes, nomination, routing, managerAddress, backup,
        backupAddress, bladeDetails, managerRecovery, backupFollowing, consoles, quorum, seat, List.of());
  }

  /**
   * A blade an operator drains: {@code drained} once it holds no member or spare of any volume
   * (it may leave then without any volume degrading); {@code holds} what it still holds.
   */
  public record DrainStatus(String blade, boolean drained, List<String> holds) {}

  /** A member moving to {@code to} (a drain): how far the copy is, how fast, how long still. */
  public record MoveStatus(int position, String from, String to, double percent, long doneBytes, long totalBytes,
      double mibPerSecond, long secondsLeft) {}

  /** Whether this blade's side of the cluster has a quorum (it serves I/O only then), and why not. */
  public record Quorum(boolean kept, int reachable, int members, String reason) {}

  /** This blade's seat for the manager: the lease it uses, whether it holds it, and its last change. */
  public record Seat(String lease, boolean holding, long token, String lastChange) {}

  /** A console station's route in the map: the blade whose console it shows, since {@code epoch}. */
  public record Console(String station, String target, long epoch) {}

  /** A blade of the cluster: its cluster state (Up, unreachable, ...) and the resources it shares. */
  public record BladeInfo(String blade, String address, String state, List<String> resources) {}

  /** On the manager's blade: how the manager recovered (the tail it replayed after its snapshot). */
  public record ManagerRecovery(long sequenceNr, long replayedEvents, long recoveryMillis) {}

  /** On the backup's blade: how far it follows the manager's journal and its last snapshot. */
  public record BackupFollowing(boolean following, long sequenceNr, long snapshotSequenceNr) {}

  /** What the blade's other parts add: roles, routing mode and cluster states. */
  public record Roles(String routing, ManagerBackup.View view, ResourceManager.Recovered recovered,
      Map<BladeId, String> clusterStates, io.rackshare.smm.Quorum quorum, io.rackshare.manager.ManagerSeat.View seat) {}

  /**
   * A volume of the global resource map as this blade sees it (an entry of {@code GET /status}'s
   * {@code volumes}): its {@code layout} ({@code span}, {@code raid1}, ...), {@code health} (a
   * {@link io.rackshare.layout.Health.Status} name) and its {@code detail}, size and block size,
   * the map {@code epoch} it last changed in, its layout {@code options} (stripe size, read policy,
   * ...), its members and hot spares (device paths), the rebuilds and drain moves under way, {@code
   * preparing} while the pool's blades zero new extents (else null), and {@code inMemory} when a
   * member is a blade's memory (the volume is volatile).
   */
  public record Volume(String name, String layout, String health, String detail, long sizeBytes, int blockSize,
      long epoch, Map<String, String> options, List<MemberStatus> members, List<String> spares,
      List<Rebuild> rebuilds, Preparing preparing, List<MoveStatus> moves, boolean inMemory) {

    @com.fasterxml.jackson.annotation.JsonCreator
    public Volume {
      moves = moves == null ? List.of() : moves;
    }

    public Volume(String name, String layout, String health, String detail, long sizeBytes, int blockSize, long epoch,
        Map<String, String> options, List<MemberStatus> members, List<String> spares, List<Rebuild> rebuilds,
        Preparing preparing, List<MoveStatus> moves) {
      this(name, layout, health, detail, sizeBytes, blockSize, epoch, options, members, spares, rebuilds, preparing,
          moves, false);
    }

    public Volume(String name, String layout, String health, String detail, long sizeBytes, int blockSize, long epoch,
        Map<String, String> options, List<MemberStatus> members, List<String> spares, List<Rebuild> rebuilds,
        Preparing preparing) {
      this(name, layout, health, detail, sizeBytes, blockSize, epoch, options, members, spares, rebuilds, preparing,
          List.of());
    }

    public Volume(String name, String layout, String health, String detail, long sizeBytes, int blockSize, long epoch,
        Map<String, String> options, List<MemberStatus> members, List<String> spares, List<Rebuild> rebuilds) {
      this(name, layout, health, detail, sizeBytes, blockSize, epoch, options, members, spares, rebuilds, null);
    }
  }

  /**
   * A volume on the pool whose blades are zeroing new extents: created and not serving yet
   * ({@code growingToBytes} 0), or growing to {@code growingToBytes}; {@code partsReady} of
   * {@code parts} are done.
   */
  public record Preparing(long growingToBytes, int partsReady, int parts) {}

  /**
   * A member as the map has it; {@code suspect} when the failure detector suspects its blade (the
   * map still counts it until a request fails on it or the blade is removed).
   */
  public record MemberStatus(int position, String device, String state, long since, boolean suspect) {}

  /** A rebuild in progress: how far, how fast, how long still. */
  public record Rebuild(int position, String device, double percent, long doneBytes, long totalBytes,
      double mibPerSecond, long secondsLeft) {}

  public static BladeStatus of(Blade.Status s, Layouts layouts, Roles roles) {
    List<Volume> volumes = new ArrayList<>();
    for (GlobalResourceDescriptor v : new TreeMap<>(s.map().volumes()).values()) {
      Layout layout = layouts.get(v.layout());
      Health h = layout.health(v);
      List<MemberStatus> members = new ArrayList<>();
      List<Rebuild> rebuilds = new ArrayList<>();
      for (int i = 0; i < v.members().size(); i++) {
        Member m = v.member(i);
        members.add(new MemberStatus(i, m.device().toString(), m.state().name(), m.since(),
            "unreachable".equals(roles.clusterStates().get(m.blade()))));
        if (m.state() != Member.State.REBUILDING) continue;
        ManagerProtocol.RebuildProgress p = s.rebuilds().get(v.name() + "#" + i);
        boolean current = p != null && p.device().equals(m.device()) && p.since() == m.since();
        long total = layout.rebuildBytes(v);
        rebuilds.add(current
            ? new Rebuild(i, m.device().toString(), round(p.percent()), p.doneBytes(), p.totalBytes(),
                round(p.bytesPerSecond() / (1 << 20)), p.secondsLeft())
            : new Rebuild(i, m.device().toString(), 0, 0, total, 0, -1));
      }
      List<MoveStatus> moves = new ArrayList<>();
      for (io.rackshare.map.Move mv : v.moves()) {
        ManagerProtocol.RebuildProgress p = s.rebuilds().get(v.name() + "#" + mv.position());
        boolean current = p != null && p.device().equals(mv.target()) && p.since() == mv.since();
        long[] range = layout.moveRange(v, mv.position());
        String from = v.member(mv.position()).device().toString();
        moves.add(current
            ? new MoveStatus(mv.position(), from, mv.target().toString(), round(p.percent()), p.doneBytes(),
                p.totalBytes(), round(p.bytesPerSecond() / (1 << 20)), p.secondsLeft())
            : new MoveStatus(mv.position(), from, mv.target().toString(), 0, 0, range[1] - range[0], 0, -1));
      }
      Preparing preparing = v.partsReady() ? null : new Preparing(
          v.growth() == null ? 0 : v.growth().capacityBlocks() * v.blockSize(),
          (int) v.parts().stream().filter(io.rackshare.map.Part::ready).count(), v.parts().size());
      volumes.add(new Volume(v.name(), v.layout(), h.status().name(), h.detail(), v.sizeBytes(), v.blockSize(),
          v.epoch(), new TreeMap<>(v.options()), members, v.spares().stream().map(Object::toString).toList(),
          rebuilds, preparing, moves,
          v.members().stream().anyMatch(m -> io.rackshare.map.DevicePath.MEMORY.equals(m.device().kind()))));
    }
    ManagerBackup.View view = roles.view();
    Optional<BladeId> manager = s.manager().or(view::manager);
    // Each blade's resources in device-path order (Disk(0), Disk(1), ..., Keyboard(0), ...).
    Map<BladeId, List<String>> resources = new TreeMap<>();
    for (ResourceDescriptor r : s.known().values()) {
      resources.computeIfAbsent(r.path().blade(), b -> new ArrayList<>()).add(describe(r));
    }
    java.util.Set<BladeId> all = new java.util.TreeSet<>(s.peers());
    all.addAll(roles.clusterStates().keySet());
    List<BladeInfo> details = new ArrayList<>();
    for (BladeId b : all) {
      details.add(new BladeInfo(b.toString(), address(view, b), roles.clusterStates().getOrDefault(b, "?"),
          resources.getOrDefault(b, List.of())));
    }
    boolean runsManager = manager.equals(Optional.of(s.id())) && roles.recovered() != null;
    boolean follows = view.backup().equals(Optional.of(s.id()));
    return new BladeStatus(s.id().toString(), manager.map(Object::toString).orElse(""),
        new java.util.TreeSet<>(s.peers()).stream().map(Object::toString).toList(), s.map().epoch(),
        s.map().digest(), volumes, view.policy(), roles.routing(), manager.map(b -> address(view, b)).orElse(""),
        view.backup().map(Object::toString).orElse(""), view.backup().map(b -> address(view, b)).orElse(""),
        details,
        runsManager ? new ManagerRecovery(roles.recovered().sequenceNr(), roles.recovered().replayedEvents(),
            roles.recovered().recoveryMillis()) : null,
        follows ? new BackupFollowing(view.following(), view.followedSequenceNr(), view.snapshotSequenceNr()) : null,
        new TreeMap<>(s.map().consoles()).values().stream()
            .map(r -> new Console(r.station().toString(), r.target().toString(), r.epoch())).toList(),
        new Quorum(roles.quorum().kept(), roles.quorum().reachable(), roles.quorum().members(), roles.quorum().reason()),
        new Seat(roles.seat().lease(), roles.seat().holding(), roles.seat().token(), roles.seat().lastChange()),
        s.map().drainingBlades().stream().map(b -> drain(s.map(), b)).toList());
  }

  private static DrainStatus drain(io.rackshare.map.GlobalResourceMap map, BladeId b) {
    List<String> holds = map.heldBy(b);
    return new DrainStatus(b.toString(), holds.isEmpty(), holds);
  }

  private static String describe(ResourceDescriptor r) {
    if (r.config() instanceof io.rackshare.map.ResourceConfig.Block b) {
      return r.path() + " (" + b.blockCount() * b.blockSize() + " bytes, blocks of " + b.blockSize() + ")";
    }
    if (r.config() instanceof io.rackshare.map.ResourceConfig.Medium m) {
      return r.path() + " (removable media, volume " + m.volume() + ": " + (m.inserted()
          ? m.image() + " inserted, " + m.sizeBytes() + " bytes, read-only)" : "empty)");
    }
    if (r.config() instanceof io.rackshare.map.ResourceConfig.Video v) {
      return r.path() + " (console screen " + v.columns() + "x" + v.rows() + ": " + v.command() + ")";
    }
    if (r.config() instanceof io.rackshare.map.ResourceConfig.Keyboard k) {
      return r.path() + " (console keyboard, " + k.encoding() + ")";
    }
    if (r.config() instanceof io.rackshare.map.ResourceConfig.Mouse m) {
      return r.path() + " (console mouse, " + m.protocol() + " reports)";
    }
    if (r.config() instanceof io.rackshare.map.ResourceConfig.Audio a) {
      return r.path() + " (audio source, " + a.rate() + " Hz " + (a.channels() == 1 ? "mono" : "stereo") + " "
          + a.format() + ": " + a.command() + ")";
    }
    return r.path() + " " + r.config();
  }

  private static String address(ManagerBackup.View view, BladeId b) {
    org.apache.pekko.actor.Address a = view.addresses().get(b);
    return a == null ? "" : a.toString();
  }

  private static double round(double d) {
    return Math.round(d * 10) / 10.0;
  }
}
