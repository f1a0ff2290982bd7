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
 * volume's member (its state), a volume's hot spare, free, or "pool": a pooled disk whose
 * extents hold parts of volumes created by size ({@code parts}; the rest of it is free). A volume
 * of whole disks uses {@code usedBytes} of its member (the member size; the rest of a larger disk
 * is not used by anything).
 */
public record PoolStatus(List<Disk> disks, List<BladeTotal> blades, long sizeBytes, long usedBytes, long freeBytes,
    long failedBytes) {

  /**
   * One disk: {@code use} is "member", "spare", "pool" (it holds {@code parts}) or "free";
   * {@code state} a member's state.
   */
  public record Disk(String device, long sizeBytes, int blockSize, String use, String volume, int position,
      String state, long usedBytes, List<PartUse> parts) {
    public Disk {
      parts = parts == null ? List.of() : List.copyOf(parts);
    }

    public Disk(String device, long sizeBytes, int blockSize, String use, String volume, int position, String state,
        long usedBytes) {
      this(device, sizeBytes, blockSize, use, volume, position, state, usedBytes, List.of());
    }
  }

  /**
   * A part of a pooled disk: its device path, the volume it is member {@code position} of (-1: a
   * hot spare), that member's state, its size, whether its blade has zeroed it yet, and where on
   * the disk its extents lie.
   */
  public record PartUse(String part, String volume, int position, String state, long bytes, boolean ready,
      List<DiskExtent> extents) {
    @com.fasterxml.jackson.annotation.JsonCreator
    public PartUse {
      extents = extents == null ? List.of() : List.copyOf(extents);
    }

    public PartUse(String part, String volume, int position, String state, long bytes, boolean ready) {
      this(part, volume, position, state, bytes, ready, List.of());
    }
  }

  /** {@code bytes} of a disk from byte {@code offsetBytes} on. */
  public record DiskExtent(long offsetBytes, long bytes) {}

  /**
   * One blade's disks in {@code GET /pool}: how many it shares and their bytes, bytes used by
   * volumes (whole disks and parts), bytes free for the pool (on free and pooled disks only), and
   * bytes of failed members (whole disks and parts).
   */
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
      if (d.use().equals("free")) {
        List<PartUse> parts = parts(s.map(), r.path());
        if (!parts.isEmpty()) {
          long used = parts.stream().mapToLong(PartUse::bytes).sum();
          d = new Disk(d.device(), size, b.blockSize(), "pool", "", -1, "", used, parts);
        }
      }
      disks.add(d);
      long[] t = totals.computeIfAbsent(r.path().blade(), x -> new long[5]);
      t[0]++;
      t[1] += size;
      if (d.use().equals("free") || d.use().equals("pool")) t[3] += size - d.usedBytes();
      t[2] += d.usedBytes();
      if (d.state().equals(Member.State.FAILED.name())) t[4] += size;
      for (PartUse p : d.parts()) {
        if (p.state().equals(Member.State.FAILED.name())) t[4] += p.bytes();
      }
    }
    List<BladeTotal> blades = new ArrayList<>();
    long[] all = new long[5];
    totals.forEach((blade, t) -> {
      blades.add(new BladeTotal(blade.toString(), (int) t[0], t[1], t[2], t[3], t[4]));
      for (int i = 0; i < 5; i++) all[i] += t[i];
    });
    return new PoolStatus(disks, blades, all[1], all[2], all[3], all[4]);
  }

  /** The parts of volumes that lie on {@code disk}, by volume and part. */
  static List<PartUse> parts(io.rackshare.map.GlobalResourceMap map, io.rackshare.map.DevicePath disk) {
    List<PartUse> out = new ArrayList<>();
    for (GlobalResourceDescriptor v : new TreeMap<>(map.volumes()).values()) {
      for (io.rackshare.map.Part p : v.parts()) {
        if (!p.disk().equals(disk)) continue;
        int position = v.positionOf(p.path());
        String state = position >= 0 ? v.member(position).state().name() : "SPARE";
        java.util.Optional<io.rackshare.map.Move> move = v.moveTo(p.path());
        if (move.isPresent()) {
          // A drain's target: the member's next place, being copied.
          position = move.get().position();
          state = "MOVING";
        }
        out.add(new PartUse(p.path().toString(), v.name(), position, state, p.blocks() * v.blockSize(), p.ready(),
            p.extents().stream().map(e -> new DiskExtent(e.deviceBlock() * v.blockSize(), e.blockCount() * v.blockSize()))
                .toList()));
      }
    }
    return out;
  }

  /** What {@code rackshare volume create} prints of a volume placed on the pool. */
  public static Map<String, Object> placed(GlobalResourceDescriptor v) {
    Map<String, Object> out = new java.util.LinkedHashMap<>();
    out.put("volume", v.name());
    out.put("layout", v.layout());
    out.put("sizeBytes", v.sizeBytes());
    out.put("epoch", v.epoch());
    List<Map<String, Object>> parts = new ArrayList<>();
    for (io.rackshare.map.Part p : v.parts()) {
      Map<String, Object> m = new java.util.LinkedHashMap<>();
      int position = v.positionOf(p.path());
      java.util.Optional<io.rackshare.map.Move> move = v.moveTo(p.path());
      m.put("part", p.path().toString());
      m.put("role", position >= 0 ? "member " + position
          : move.isPresent() ? "member " + move.get().position() + " (moving in)" : "hot spare");
      m.put("disk", p.disk().toString());
      m.put("bytes", p.blocks() * v.blockSize());
      m.put("extents", p.extents().stream().map(e -> e.deviceBlock() * v.blockSize() + "+" + e.blockCount() * v.blockSize())
          .toList());
      parts.add(m);
    }
    out.put("parts", parts);
    return out;
  }
}
