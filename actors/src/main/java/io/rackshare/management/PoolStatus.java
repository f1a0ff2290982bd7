package io.rackshare.management;

import io.rackshare.blade.Blade;
import io.rackshare.map.BladeId;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.Member;
import io.rackshare.map.ResourceConfig;
import io.rackshare.map.ResourceDescriptor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The pool's capacity as a blade sees it ({@code GET /pool}, {@code rackshare pool}): every
 * registered disk in device-path order with what uses it, and totals per blade. A disk is a
 * volume's member (its state), a volume's hot spare, or free (a spare policy or the manager's
 * self-healing may take it). A member's volume uses {@code usedBytes} of it (the member size:
 * volumes take whole disks today, the rest of a larger disk is not used by anything).
 */
public record PoolStatus(List<Disk> disks, List<BladeTotal> blades, long sizeBytes, long usedBytes, long freeBytes,
    long failedBytes) {

  /** One disk: {@code use} is "member", "spare" or "free"; {@code state} a member's state. */
  public record Disk(String device, long sizeBytes, int blockSize, String use, String volume, int position,
      String state, long usedBytes) {}

  public record BladeTotal(String blade, int disks, long sizeBytes, long usedBytes, long freeBytes, long failedBytes) {}

  public static PoolStatus of(Blade.Status s) {
    List<Disk> disks = new ArrayList<>();
    Map<BladeId, long[]> totals = new TreeMap<>();
    for (ResourceDescriptor r : s.known().values()) {
      if (!(r.config() instanceof ResourceConfig.Block b)) continue;
      long size = b.blockCount() * b.blockSize();
      Disk d = new Disk(r.path().toString(), size, b.blockSize(), "free", "", -1, "", 0);
      for (GlobalResourceDescriptor v : new TreeMap<>(s.map().volumes()).values()) {
        int position = v.positionOf(r.path());
        if (position >= 0) {
          Member m = v.member(position);
          d = new Disk(d.device(), size, b.blockSize(), "member", v.name(), position, m.state().name(), v.memberBytes());
          break;
        }
        if (v.spares().contains(r.path())) {
          d = new Disk(d.device(), size, b.blockSize(), "spare", v.name(), -1, "", v.memberBytes());
          break;
        }
      }
      disks.add(d);
      long[] t = totals.computeIfAbsent(r.path().blade(), x -> new long[5]);
      t[0]++;
      t[1] += size;
      if (d.use().equals("free")) t[3] += size;
      else t[2] += d.usedBytes();
      if (d.state().equals(Member.State.FAILED.name())) t[4] += size;
    }
    List<BladeTotal> blades = new ArrayList<>();
    long[] all = new long[5];
    totals.forEach((blade, t) -> {
      blades.add(new BladeTotal(blade.toString(), (int) t[0], t[1], t[2], t[3], t[4]));
      for (int i = 0; i < 5; i++) all[i] += t[i];
    });
    return new PoolStatus(disks, blades, all[1], all[2], all[3], all[4]);
  }
}
