package io.rackshare.management;

import io.rackshare.blade.Blade;
import io.rackshare.layout.Health;
import io.rackshare.layout.Layout;
import io.rackshare.layout.Layouts;
import io.rackshare.manager.ManagerProtocol;
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
    List<Volume> volumes) {

  public record Volume(String name, String layout, String health, String detail, long sizeBytes, int blockSize,
      long epoch, Map<String, String> options, List<MemberStatus> members, List<String> spares,
      List<Rebuild> rebuilds) {}

  public record MemberStatus(int position, String device, String state, long since) {}

  /** A rebuild in progress: how far, how fast, how long still. */
  public record Rebuild(int position, String device, double percent, long doneBytes, long totalBytes,
      double mibPerSecond, long secondsLeft) {}

  public static BladeStatus of(Blade.Status s, Layouts layouts) {
    List<Volume> volumes = new ArrayList<>();
    for (GlobalResourceDescriptor v : new TreeMap<>(s.map().volumes()).values()) {
      Layout layout = layouts.get(v.layout());
      Health h = layout.health(v);
      List<MemberStatus> members = new ArrayList<>();
      List<Rebuild> rebuilds = new ArrayList<>();
      for (int i = 0; i < v.members().size(); i++) {
        Member m = v.member(i);
        members.add(new MemberStatus(i, m.device().toString(), m.state().name(), m.since()));
        if (m.state() != Member.State.REBUILDING) continue;
        ManagerProtocol.RebuildProgress p = s.rebuilds().get(v.name() + "#" + i);
        boolean current = p != null && p.device().equals(m.device()) && p.since() == m.since();
        long total = layout.rebuildBytes(v);
        rebuilds.add(current
            ? new Rebuild(i, m.device().toString(), round(p.percent()), p.doneBytes(), p.totalBytes(),
                round(p.bytesPerSecond() / (1 << 20)), p.secondsLeft())
            : new Rebuild(i, m.device().toString(), 0, 0, total, 0, -1));
      }
      volumes.add(new Volume(v.name(), v.layout(), h.status().name(), h.detail(), v.sizeBytes(), v.blockSize(),
          v.epoch(), new TreeMap<>(v.options()), members, v.spares().stream().map(Object::toString).toList(),
          rebuilds));
    }
    return new BladeStatus(s.id().toString(), s.manager().map(Object::toString).orElse(""),
        new java.util.TreeSet<>(s.peers()).stream().map(Object::toString).toList(), s.map().epoch(),
        s.map().digest(), volumes);
  }

  private static double round(double d) {
    return Math.round(d * 10) / 10.0;
  }
}
