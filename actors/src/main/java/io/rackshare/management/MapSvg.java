package io.rackshare.management;

import io.rackshare.manager.Pool;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The global map as one SVG document, as one blade sees it ({@code GET /map.svg}, drawn live by
 * {@code GET /map}): racks, their chassis and their blades as boxes in device-path order; in each
 * blade its disks, and on each disk the extents of every volume's parts in the volume's colour
 * (the same colour for a name on every blade and at every refresh) over the free space; each
 * member's state (active, rebuilding with its progress, failed, offline, hot spare); which blade
 * runs the manager and which the backup; a legend of the volumes with their layout and health.
 * A blade that is unreachable or no longer in the cluster (known only from its disks or members)
 * is drawn red.
 *
 * <p>A pure function of {@link BladeStatus} and {@link PoolStatus}: no style sheet (presentation
 * attributes only, so a page's Content-Security-Policy need not allow inline styles), no script,
 * every text escaped ({@link Svg}). Elements carry classes and {@code data-} attributes
 * ({@code g.blade[data-blade]} with class {@code up}, {@code pending} or {@code gone} and {@code
 * manager}/{@code backup}/{@code self}; {@code g.disk[data-device]}; {@code rect.extent[data-volume]}
 * with the member's state as a class) for pages and tests to find them by.
 */
public final class MapSvg {
  private MapSvg() {}

  static final String RED = "#d32f2f";
  static final String FREE = "#e3e7eb";
  static final int PAD = 10;
  static final int GAP = 10;
  static final int BLADE_W = 270;
  static final int BAR_W = BLADE_W - 2 * PAD;
  static final int BAR_H = 14;
  static final int LINE = 14;
  static final int BLADE_HEAD = 40;
  static final int BLADES_PER_ROW = 4;
  static final int HEADER = 58;
  static final int MIN_WIDTH = 800;
  static final int NAME_CHARS = 40;
  static final int SHORT_NAME_CHARS = 18;

  /** How a blade's box looks, by its state in the cluster. */
  enum Look {
    UP("up", "#f4f7fa", "#5b6b7a"),
    PENDING("pending", "#fff4d6", "#b07d00"),
    GONE("gone", "#fde0e0", RED);

    final String css;
    final String fill;
    final String stroke;

    Look(String css, String fill, String stroke) {
      this.css = css;
      this.fill = fill;
      this.stroke = stroke;
    }

    /** Up; joining, leaving or not known to the manager's view yet; or unreachable, down, removed, gone. */
    static Look of(String state) {
      return switch (state) {
        case "Up" -> UP;
        case "unreachable", "gone", "Down", "Removed" -> GONE;
        default -> PENDING;
      };
    }
  }

  /** A blade as drawn: its cluster state, its disks, members on it that no listed disk shows, its roles. */
  record BladeBox(BladeId id, String state, List<PoolStatus.Disk> disks, List<Use> loose, boolean manager,
      boolean backup, boolean self, String drain) {
    Look look() {
      return Look.of(state);
    }

    int height() {
      int h = BLADE_HEAD + LINE * loose.size() + PAD;
      for (PoolStatus.Disk d : disks) h += diskHeight(d);
      return disks.isEmpty() && loose.isEmpty() ? h + LINE : h;
    }
  }

  /**
   * What a volume has on a disk: member {@code position} (-1: a hot spare) in {@code state}, on
   * {@code device} (the disk, or a part of it), whose bytes lie in {@code extents} of the disk.
   */
  record Use(String device, String volume, int position, String state, boolean ready,
      List<PoolStatus.DiskExtent> extents) {}

  /** The map as an SVG document. */
  public static String render(BladeStatus status, PoolStatus pool) {
    Map<String, BladeStatus.Volume> volumes = new TreeMap<>();
    for (BladeStatus.Volume v : status.volumes()) volumes.put(v.name(), v);
    List<BladeBox> blades = blades(status, pool);
    TreeMap<Integer, TreeMap<Integer, List<BladeBox>>> racks = new TreeMap<>();
    for (BladeBox b : blades) {
      racks.computeIfAbsent(b.id().rack(), r -> new TreeMap<>())
          .computeIfAbsent(b.id().chassis(), c -> new ArrayList<>()).add(b);
    }
    int racksWidth = GAP;
    int racksHeight = 0;
    for (var rack : racks.values()) {
      racksWidth += rackWidth(rack) + GAP;
      racksHeight = Math.max(racksHeight, rackHeight(rack));
    }
    int legendY = HEADER + racksHeight + 2 * GAP;
    int width = Math.max(MIN_WIDTH, racksWidth);
    int height = legendY + legendHeight(volumes.values()) + 2 * LINE + 2 * GAP + PAD;

    Svg svg = new Svg();
    svg.prolog();
    svg.open("svg", "xmlns", "http://www.w3.org/2000/svg", "class", "rackshare-map", "width", width,
        "height", height, "viewBox", "0 0 " + width + " " + height, "font-family", "DejaVu Sans, Verdana, sans-serif",
        "font-size", 11, "data-seen-from", status.blade(), "data-epoch", status.mapEpoch());
    svg.empty("rect", "width", width, "height", height, "fill", "#ffffff");
    header(svg, status);
    int x = GAP;
    for (var rack : racks.entrySet()) {
      rack(svg, rack.getKey(), rack.getValue(), x, HEADER, rackHeight(rack.getValue()), volumes);
      x += rackWidth(rack.getValue()) + GAP;
    }
    if (racks.isEmpty()) svg.text("text", "no blades known yet", "x", GAP, "y", HEADER + LINE);
    legend(svg, volumes.values(), legendY);
    key(svg, legendY + legendHeight(volumes.values()) + GAP);
    return svg.close().toString();
  }

  /**
   * Every blade the status or the pool names, with its state: the cluster's view where it has
   * one; this blade is up; a blade known only from its disks or from members on it is gone.
   */
  static List<BladeBox> blades(BladeStatus status, PoolStatus pool) {
    Map<BladeId, String> states = new TreeMap<>();
    for (BladeStatus.BladeInfo i : status.bladeDetails()) blade(i.blade()).ifPresent(b -> states.put(b, i.state()));
    Optional<BladeId> self = blade(status.blade());
    self.ifPresent(b -> states.putIfAbsent(b, "Up"));
    for (String peer : status.blades()) blade(peer).ifPresent(b -> states.putIfAbsent(b, "?"));

    Map<BladeId, List<PoolStatus.Disk>> disks = new HashMap<>();
    Set<List<String>> drawn = new HashSet<>();
    for (PoolStatus.Disk d : pool.disks()) {
      Optional<DevicePath> p = device(d.device());
      if (p.isEmpty()) continue;
      disks.computeIfAbsent(p.get().blade(), b -> new ArrayList<>()).add(d);
      states.putIfAbsent(p.get().blade(), "gone");
      for (Use u : uses(d)) drawn.add(List.of(u.volume(), u.device()));
    }
    Map<BladeId, List<Use>> loose = new HashMap<>();
    for (BladeStatus.Volume v : status.volumes()) {
      List<Use> all = new ArrayList<>();
      for (BladeStatus.MemberStatus m : v.members()) all.add(new Use(m.device(), v.name(), m.position(), m.state(), true, List.of()));
      for (String s : v.spares()) all.add(new Use(s, v.name(), -1, "SPARE", true, List.of()));
      for (Use u : all) {
        Optional<DevicePath> p = device(u.device());
        if (p.isEmpty() || drawn.contains(List.of(u.volume(), u.device()))) continue;
        loose.computeIfAbsent(p.get().blade(), b -> new ArrayList<>()).add(u);
        states.putIfAbsent(p.get().blade(), "gone");
      }
    }
    Optional<BladeId> manager = blade(status.manager());
    Optional<BladeId> backup = blade(status.backup());
    Map<String, String> drains = new HashMap<>();
    for (BladeStatus.DrainStatus d : status.drains()) drains.put(d.blade(), d.drained() ? "drained" : "draining");
    List<BladeBox> out = new ArrayList<>();
    states.forEach((b, state) -> {
      List<PoolStatus.Disk> own = new ArrayList<>(disks.getOrDefault(b, List.of()));
      own.sort(java.util.Comparator.comparing(d -> DevicePath.parse(d.device())));
      out.add(new BladeBox(b, state, own, loose.getOrDefault(b, List.of()), manager.equals(Optional.of(b)),
          backup.equals(Optional.of(b)), self.equals(Optional.of(b)), drains.get(b.toString())));
    });
    return out;
  }

  /** What volumes have on {@code d}: a whole disk's member or hot spare, or a pooled disk's parts. */
  static List<Use> uses(PoolStatus.Disk d) {
    List<PoolStatus.DiskExtent> whole = List.of(new PoolStatus.DiskExtent(0, d.usedBytes()));
    return switch (d.use()) {
      case "member" -> List.of(new Use(d.device(), d.volume(), d.position(), d.state(), true, whole));
      case "spare" -> List.of(new Use(d.device(), d.volume(), -1, "SPARE", true, whole));
      default -> d.parts().stream()
          .map(p -> new Use(p.part(), p.volume(), p.position(), p.state(), p.ready(), p.extents())).toList();
    };
  }

  static int diskHeight(PoolStatus.Disk d) {
    return LINE + BAR_H + 4 + LINE * uses(d).size() + 6;
  }

  static int chassisWidth(List<BladeBox> blades) {
    int n = Math.min(blades.size(), BLADES_PER_ROW);
    return 2 * GAP + n * BLADE_W + (n - 1) * GAP;
  }

  static int chassisHeight(List<BladeBox> blades) {
    int h = 22 + GAP;
    for (int row = 0; row < blades.size(); row += BLADES_PER_ROW) h += rowHeight(blades, row) + GAP;
    return h;
  }

  static int rowHeight(List<BladeBox> blades, int from) {
    int h = 0;
    for (int i = from; i < Math.min(blades.size(), from + BLADES_PER_ROW); i++) h = Math.max(h, blades.get(i).height());
    return h;
  }

  static int rackWidth(TreeMap<Integer, List<BladeBox>> rack) {
    int w = 0;
    for (List<BladeBox> c : rack.values()) w = Math.max(w, chassisWidth(c));
    return w + 2 * GAP;
  }

  static int rackHeight(TreeMap<Integer, List<BladeBox>> rack) {
    int h = 24 + GAP;
    for (List<BladeBox> c : rack.values()) h += chassisHeight(c) + GAP;
    return h;
  }

  static void header(Svg svg, BladeStatus s) {
    svg.text("text", "Rackshare global map", "x", GAP, "y", 22, "font-size", 17, "font-weight", "bold");
    svg.open("text", "class", "summary", "x", GAP, "y", 42, "font-size", 12);
    svg.text("tspan", "seen from " + s.blade() + " · map epoch " + s.mapEpoch() + " · manager "
        + or(s.manager(), "none") + " · backup " + or(s.backup(), "none"));
    if (s.quorum() != null) {
      svg.text("tspan", s.quorum().kept()
              ? " · quorum: " + s.quorum().reachable() + " of " + s.quorum().members() + " reachable"
              : " · NO QUORUM: " + s.quorum().reason(),
          "class", s.quorum().kept() ? "quorum" : "quorum lost", "fill", s.quorum().kept() ? null : RED);
    }
    svg.close();
  }

  static void rack(Svg svg, int number, TreeMap<Integer, List<BladeBox>> chassis, int x, int y, int height,
      Map<String, BladeStatus.Volume> volumes) {
    svg.open("g", "class", "rack", "data-rack", number, "transform", "translate(" + x + "," + y + ")");
    svg.empty("rect", "width", rackWidth(chassis), "height", height, "rx", 8, "fill", "#eef1f4", "stroke", "#8a96a3");
    svg.text("text", "Rack(" + number + ")", "x", GAP, "y", 17, "font-size", 13, "font-weight", "bold");
    int cy = 24;
    for (var c : chassis.entrySet()) {
      List<BladeBox> blades = c.getValue();
      svg.open("g", "class", "chassis", "data-chassis", c.getKey(), "transform", "translate(" + GAP + "," + cy + ")");
      svg.empty("rect", "width", chassisWidth(blades), "height", chassisHeight(blades), "rx", 6, "fill", "#f9fafb",
          "stroke", "#a9b3bd", "stroke-dasharray", "4,3");
      svg.text("text", "Chassis(" + c.getKey() + ")", "x", GAP, "y", 15, "font-weight", "bold");
      int by = 22;
      for (int row = 0; row < blades.size(); row += BLADES_PER_ROW) {
        for (int i = row; i < Math.min(blades.size(), row + BLADES_PER_ROW); i++) {
          blade(svg, blades.get(i), GAP + (i - row) * (BLADE_W + GAP), by, volumes);
        }
        by += rowHeight(blades, row) + GAP;
      }
      svg.close();
      cy += chassisHeight(blades) + GAP;
    }
    svg.close();
  }

  static void blade(Svg svg, BladeBox b, int x, int y, Map<String, BladeStatus.Volume> volumes) {
    Look look = b.look();
    String roles = (b.manager() ? " manager" : "") + (b.backup() ? " backup" : "") + (b.self() ? " self" : "");
    svg.open("g", "class", "blade " + look.css + roles, "data-blade", b.id().toString(), "data-state", b.state(),
        "data-drain", b.drain(), "transform", "translate(" + x + "," + y + ")");
    svg.title(b.id() + ": " + b.state() + (b.drain() == null ? "" : ", " + b.drain())
        + (b.manager() ? ", runs the manager" : "")
        + (b.backup() ? ", runs the backup" : "") + (b.self() ? ", serves this map" : ""));
    svg.empty("rect", "class", "box", "width", BLADE_W, "height", b.height(), "rx", 6, "fill", look.fill,
        "stroke", look.stroke, "stroke-width", look == Look.UP ? 1.5 : 3.0);
    svg.text("text", "Blade(" + b.id().slot() + ")", "x", PAD, "y", 17, "font-size", 13, "font-weight", "bold");
    double right = BLADE_W - PAD;
    if (b.backup()) right = badge(svg, "backup", "#6a4c93", right);
    if (b.manager()) right = badge(svg, "manager", "#1f4e8c", right);
    if (b.drain() != null) badge(svg, b.drain(), "#b35c00", right);
    String state = switch (b.state()) {
      case "gone" -> "gone: not in the cluster";
      case "?" -> "not in the manager's view yet";
      default -> b.state();
    };
    svg.text("text", state + (b.self() ? " · serves this map" : ""), "class", "state", "x", PAD, "y", 32,
        "fill", look == Look.UP ? "#37474f" : look.stroke, "font-weight", look == Look.GONE ? "bold" : null);
    int dy = BLADE_HEAD;
    for (PoolStatus.Disk d : b.disks()) {
      disk(svg, d, dy, volumes);
      dy += diskHeight(d);
    }
    for (Use u : b.loose()) {
      svg.open("g", "class", "loose", "data-device", u.device(), "transform", "translate(" + PAD + "," + dy + ")");
      svg.title(u.device() + " of " + u.volume() + ": the pool lists no disk of this blade");
      useLine(svg, u, 0, volumes, u.device().substring(u.device().lastIndexOf('/') + 1) + ": ");
      svg.close();
      dy += LINE;
    }
    if (b.disks().isEmpty() && b.loose().isEmpty()) svg.text("text", "no disks", "x", PAD, "y", dy + 11, "fill", "#78909c");
    svg.close();
  }

  /** A pill with {@code label} ending at {@code right}; returns where the next one may end. */
  static double badge(Svg svg, String label, String colour, double right) {
    double w = label.length() * 7.4 + 12;
    svg.open("g", "class", "badge " + label, "transform", "translate(" + Svg.number(right - w) + ",5)");
    svg.empty("rect", "width", w, "height", 16, "rx", 8, "fill", colour);
    svg.text("text", label, "x", w / 2, "y", 12, "text-anchor", "middle", "fill", "#ffffff", "font-weight", "bold");
    svg.close();
    return right - w - 4;
  }

  static void disk(Svg svg, PoolStatus.Disk d, int y, Map<String, BladeStatus.Volume> volumes) {
    List<Use> uses = uses(d);
    boolean shared = d.use().equals("pool") || d.use().equals("free");
    svg.open("g", "class", "disk", "data-device", d.device(), "data-use", d.use(),
        "transform", "translate(" + PAD + "," + y + ")");
    svg.text("text", d.device().substring(d.device().lastIndexOf('/') + 1) + " · " + Pool.bytes(d.sizeBytes())
        + (shared ? " · " + Pool.bytes(Math.max(0, d.sizeBytes() - d.usedBytes())) + " free" : ""), "y", 11);
    svg.open("rect", "class", "space", "y", LINE, "width", BAR_W, "height", BAR_H, "fill", FREE, "stroke", "#9aa5b1");
    svg.title(d.device() + ": " + Pool.bytes(d.sizeBytes()) + ", " + d.use());
    svg.close();
    for (Use u : uses) {
      for (PoolStatus.DiskExtent e : u.extents()) {
        double from = d.sizeBytes() <= 0 ? 0 : Math.min(1.0, (double) e.offsetBytes() / d.sizeBytes());
        double length = d.sizeBytes() <= 0 ? 0 : Math.min(1.0 - from, (double) e.bytes() / d.sizeBytes());
        svg.open("rect", mark("extent", u, "x", BAR_W * from, "y", LINE, "width", Math.max(1.0, BAR_W * length),
            "height", BAR_H));
        svg.title(u.volume() + ": " + role(u) + " (" + u.device() + "), " + u.state() + ", " + Pool.bytes(e.bytes())
            + " at " + Pool.bytes(e.offsetBytes()) + " of " + d.device());
        svg.close();
      }
    }
    int ly = LINE + BAR_H + 4;
    for (Use u : uses) {
      useLine(svg, u, ly, volumes, "");
      ly += LINE;
    }
    svg.close();
  }

  /** The attributes of a use's mark (an extent, a swatch): its class, what it is, then {@code geometry} and its look. */
  static Object[] mark(String kind, Use u, Object... geometry) {
    Object[] what = {"class", kind + " " + u.state().toLowerCase(Locale.ROOT) + (u.ready() ? "" : " zeroing"),
        "data-volume", u.volume(), "data-device", u.device(), "data-state", u.state()};
    return concat(what, geometry, look(u.state(), u.ready(), colour(u.volume())));
  }

  /** How a member in {@code state} is drawn in {@code colour}: solid while active, red-edged when failed, ... */
  static Object[] look(String state, boolean ready, String colour) {
    return switch (state) {
      case "ACTIVE" -> new Object[] {"fill", colour, "fill-opacity", ready ? null : 0.55};
      case "REBUILDING" -> new Object[] {"fill", colour, "fill-opacity", 0.45, "stroke", colour};
      case "FAILED" -> new Object[] {"fill", colour, "fill-opacity", 0.3, "stroke", RED, "stroke-width", 2.0};
      case "SPARE" -> new Object[] {"fill", "#ffffff", "stroke", colour, "stroke-width", 1.5, "stroke-dasharray", "3,2"};
      case "MOVING" -> new Object[] {"fill", colour, "fill-opacity", 0.45, "stroke", "#b35c00", "stroke-width", 1.5,
          "stroke-dasharray", "5,2"};
      default -> new Object[] {"fill", colour, "fill-opacity", 0.45, "stroke", "#546e7a", "stroke-dasharray", "3,2"};
    };
  }

  static Object[] concat(Object[]... parts) {
    return java.util.Arrays.stream(parts).flatMap(java.util.Arrays::stream).toArray();
  }

  /** One line under a disk: a swatch, the volume, the member and its state (with its progress while it rebuilds). */
  static void useLine(Svg svg, Use u, int y, Map<String, BladeStatus.Volume> volumes, String prefix) {
    BladeStatus.Rebuild rebuild = rebuild(volumes.get(u.volume()), u);
    svg.open("g", "class", "use", "data-volume", u.volume(), "data-device", u.device(), "data-state", u.state(),
        "transform", "translate(0," + y + ")");
    svg.empty("rect", mark("swatch", u, "y", 2, "width", 9, "height", 9));
    String what = switch (u.state()) {
      case "REBUILDING" -> rebuild == null ? "rebuilding" : "rebuilding " + Svg.number(rebuild.percent()) + "%";
      case "MOVING" -> moving(volumes.get(u.volume()), u).map(m -> "moving in " + Svg.number(m.percent()) + "%")
          .orElse("moving in");
      case "SPARE" -> "hot spare";
      default -> u.state().toLowerCase(Locale.ROOT);
    };
    boolean failed = u.state().equals("FAILED");
    svg.text("text", prefix + shorten(u.volume(), SHORT_NAME_CHARS) + (u.position() >= 0 ? " #" + u.position() : "")
        + " · " + what + (u.ready() ? "" : " (zeroing)"), "x", 14, "y", 10, "fill", failed ? RED : null,
        "font-weight", failed ? "bold" : null);
    svg.close();
  }

  /** The rebuild of member {@code u} in {@code v}, if one runs on it. */
  static BladeStatus.Rebuild rebuild(BladeStatus.Volume v, Use u) {
    if (v == null || !u.state().equals("REBUILDING")) return null;
    return v.rebuilds().stream().filter(r -> r.position() == u.position() && r.device().equals(u.device()))
        .findFirst().orElse(null);
  }

  /** The move into part {@code u}, if it is one's target. */
  static Optional<BladeStatus.MoveStatus> moving(BladeStatus.Volume v, Use u) {
    if (v == null) return Optional.empty();
    return v.moves().stream().filter(m -> m.to().equals(u.device())).findFirst();
  }

  static String role(Use u) {
    return u.position() >= 0 ? "member " + u.position() : "hot spare";
  }

  static int legendHeight(java.util.Collection<BladeStatus.Volume> volumes) {
    int lines = 1;
    for (BladeStatus.Volume v : volumes) {
      lines += 1 + v.rebuilds().size() + v.moves().size() + (v.preparing() == null ? 0 : 1);
    }
    return (lines + (volumes.isEmpty() ? 1 : 0)) * (LINE + 4);
  }

  /** A line of the legend: a bar {@code percent} full in the volume's colour, then {@code text}. */
  static void progress(Svg svg, String kind, String volume, String device, double percent, int y, String text) {
    svg.open("g", "class", kind, "data-volume", volume, "data-device", device, "data-percent", Svg.number(percent),
        "transform", "translate(20," + y + ")");
    svg.empty("rect", "y", 2, "width", 60, "height", 10, "fill", FREE, "stroke", "#9aa5b1");
    svg.empty("rect", "class", "done", "y", 2, "width", 60 * Math.max(0, Math.min(100, percent)) / 100,
        "height", 10, "fill", colour(volume));
    svg.text("text", text, "x", 68, "y", 11);
    svg.close();
  }

  static String rate(double mibPerSecond, long secondsLeft) {
    return (mibPerSecond > 0 ? ", " + Svg.number(mibPerSecond) + " MiB/s" : "")
        + (secondsLeft >= 0 ? ", " + secondsLeft + " s left" : "");
  }

  static void legend(Svg svg, java.util.Collection<BladeStatus.Volume> volumes, int y) {
    svg.open("g", "class", "legend", "transform", "translate(" + GAP + "," + y + ")");
    svg.text("text", "Volumes", "y", 12, "font-size", 13, "font-weight", "bold");
    int ly = LINE + 4;
    if (volumes.isEmpty()) svg.text("text", "none", "y", ly + 12, "fill", "#78909c");
    for (BladeStatus.Volume v : volumes) {
      String health = switch (v.health()) {
        case "OPTIMAL" -> "#2e7d32";
        case "DEGRADED" -> "#b07d00";
        default -> RED;
      };
      svg.open("g", "class", "volume", "data-volume", v.name(), "data-health", v.health(),
          "transform", "translate(0," + ly + ")");
      svg.empty("rect", "class", "swatch", "y", 1, "width", 14, "height", 14, "rx", 2, "fill", colour(v.name()));
      svg.open("text", "x", 20, "y", 12);
      svg.text("tspan", shorten(v.name()), "font-weight", "bold");
      svg.text("tspan", " · " + v.layout() + " · " + Pool.bytes(v.sizeBytes()) + " · " + v.members().size()
          + " member(s)" + (v.spares().isEmpty() ? "" : ", " + v.spares().size() + " hot spare(s)") + " · ");
      svg.text("tspan", v.health(), "fill", health, "font-weight", "bold");
      svg.text("tspan", ": " + v.detail());
      svg.close();
      svg.close();
      ly += LINE + 4;
      for (BladeStatus.Rebuild r : v.rebuilds()) {
        progress(svg, "rebuild", v.name(), r.device(), r.percent(), ly, "member " + r.position() + " (" + r.device()
            + ") rebuilding: " + Svg.number(r.percent()) + "% of " + Pool.bytes(r.totalBytes())
            + rate(r.mibPerSecond(), r.secondsLeft()));
        ly += LINE + 4;
      }
      for (BladeStatus.MoveStatus m : v.moves()) {
        progress(svg, "move", v.name(), m.to(), m.percent(), ly, "member " + m.position() + " moving " + m.from()
            + " -> " + m.to() + ": " + Svg.number(m.percent()) + "% of " + Pool.bytes(m.totalBytes())
            + rate(m.mibPerSecond(), m.secondsLeft()));
        ly += LINE + 4;
      }
      if (v.preparing() != null) {
        BladeStatus.Preparing p = v.preparing();
        svg.text("text", (p.growingToBytes() == 0 ? "being created" : "growing to " + Pool.bytes(p.growingToBytes()))
            + ": " + p.partsReady() + " of " + p.parts() + " parts zeroed", "class", "preparing", "x", 20, "y", ly + 11);
        ly += LINE + 4;
      }
    }
    svg.close();
  }

  /** What the colours and marks mean. */
  static void key(Svg svg, int y) {
    svg.open("g", "class", "key", "transform", "translate(" + GAP + "," + y + ")");
    int x = 0;
    for (Look l : Look.values()) {
      svg.empty("rect", "x", x, "y", 1, "width", 18, "height", 12, "rx", 3, "fill", l.fill, "stroke", l.stroke,
          "stroke-width", 2.0);
      String label = switch (l) {
        case UP -> "blade up";
        case PENDING -> "joining, leaving or not known yet";
        case GONE -> "unreachable or gone";
      };
      svg.text("text", label, "x", x + 24, "y", 11);
      x += 24 + label.length() * 6 + 18;
    }
    x = 0;
    int ky = LINE + 6;
    for (String state : List.of("ACTIVE", "REBUILDING", "MOVING", "FAILED", "OFFLINE", "SPARE")) {
      svg.empty("rect", concat(new Object[] {"class", "sample", "x", x, "y", ky + 1, "width", 18, "height", 12},
          look(state, true, "#78909c")));
      String label = switch (state) {
        case "SPARE" -> "hot spare";
        case "MOVING" -> "moving in (a drain)";
        default -> state.toLowerCase(Locale.ROOT);
      };
      svg.text("text", label, "x", x + 24, "y", ky + 11);
      x += 24 + label.length() * 6 + 18;
    }
    svg.empty("rect", "x", x, "y", ky + 1, "width", 18, "height", 12, "fill", FREE, "stroke", "#9aa5b1");
    svg.text("text", "free · colours: one per volume", "x", x + 24, "y", ky + 11);
    svg.close();
  }

  /**
   * The colour of volume {@code name}: the same for a name everywhere (FNV-1a of its UTF-8 bytes
   * picks a hue), never red (red is for what failed).
   */
  public static String colour(String name) {
    int h = 0x811c9dc5;
    for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x01000193;
    }
    double hue = 35 + Integer.toUnsignedLong(h) % 290;
    double lightness = 0.42 + (Integer.toUnsignedLong(h) >>> 9) % 3 * 0.06;
    return hsl(hue, 0.62, lightness);
  }

  static String hsl(double hue, double s, double l) {
    double c = (1 - Math.abs(2 * l - 1)) * s;
    double x = c * (1 - Math.abs(hue / 60 % 2 - 1));
    double m = l - c / 2;
    double[] rgb = switch ((int) (hue / 60)) {
      case 0 -> new double[] {c, x, 0};
      case 1 -> new double[] {x, c, 0};
      case 2 -> new double[] {0, c, x};
      case 3 -> new double[] {0, x, c};
      case 4 -> new double[] {x, 0, c};
      default -> new double[] {c, 0, x};
    };
    return String.format(Locale.ROOT, "#%02x%02x%02x", Math.round((rgb[0] + m) * 255), Math.round((rgb[1] + m) * 255),
        Math.round((rgb[2] + m) * 255));
  }

  static String shorten(String name) {
    return shorten(name, NAME_CHARS);
  }

  /** {@code name} cut to {@code chars} characters (the last an ellipsis); titles and data attributes keep it whole. */
  static String shorten(String name, int chars) {
    return name.length() <= chars ? name : name.substring(0, chars - 1) + "…";
  }

  static String or(String s, String otherwise) {
    return s == null || s.isEmpty() ? otherwise : s;
  }

  static Optional<BladeId> blade(String text) {
    try {
      return text == null || text.isEmpty() ? Optional.empty() : Optional.of(BladeId.parse(text));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  static Optional<DevicePath> device(String text) {
    try {
      return Optional.of(DevicePath.parse(text));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
