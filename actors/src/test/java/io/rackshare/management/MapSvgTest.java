package io.rackshare.management;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * The map's drawing, parsed back as XML: blades in device-path order inside their chassis and
 * racks, a gone or unreachable blade red, the manager and backup marked, each volume's extents in
 * its colour on the disks that hold them and where they lie, member states and rebuild progress,
 * and a volume name full of markup staying text.
 */
class MapSvgTest {
  static final long MIB = 1 << 20;
  static final String B1 = "Rack(1)/Chassis(1)/Blade(1)";
  static final String B2 = "Rack(1)/Chassis(1)/Blade(2)";
  static final String B3 = "Rack(1)/Chassis(1)/Blade(3)";
  static final String C2 = "Rack(1)/Chassis(2)/Blade(1)";
  static final String R2 = "Rack(2)/Chassis(1)/Blade(4)";
  static final String LOST = "Rack(2)/Chassis(1)/Blade(5)";
  static final String EVIL = "<script>alert('x')</script>\"&\u0007";

  static BladeStatus status() {
    BladeStatus.Volume triple = new BladeStatus.Volume("triple", "raid1", "DEGRADED", "1 of 3 failed, 1 rebuilding",
        5 * MIB, 4096, 9, Map.of(), List.of(
            new BladeStatus.MemberStatus(0, B1 + "/Part(0)", "ACTIVE", 3, false),
            new BladeStatus.MemberStatus(1, B2 + "/Part(0)", "REBUILDING", 8, false),
            new BladeStatus.MemberStatus(2, B3 + "/Part(0)", "FAILED", 9, true)),
        List.of(), List.of(new BladeStatus.Rebuild(1, B2 + "/Part(0)", 42.5, 2 * MIB, 5 * MIB, 3.1, 1)));
    BladeStatus.Volume evil = new BladeStatus.Volume(EVIL, "raid1", "OPTIMAL", "all members in sync", 8 * MIB, 4096, 4,
        Map.of(), List.of(new BladeStatus.MemberStatus(0, C2 + "/Disk(0)", "ACTIVE", 4, false),
            new BladeStatus.MemberStatus(1, LOST + "/Disk(0)", "ACTIVE", 4, false)), List.of(), List.of());
    List<BladeStatus.BladeInfo> details = List.of(new BladeStatus.BladeInfo(B1, "", "Up", List.of()),
        new BladeStatus.BladeInfo(B2, "", "Up", List.of()), new BladeStatus.BladeInfo(B3, "", "unreachable", List.of()),
        new BladeStatus.BladeInfo(C2, "", "Up", List.of()));
    return new BladeStatus(B1, B1, List.of(B2, B3, C2), 9, "d", List.of(evil, triple), "oldest", "direct", "", B2, "",
        details, null, null, List.of(), new BladeStatus.Quorum(true, 3, 4, ""), null);
  }

  static PoolStatus.PartUse part(String blade, int position, String state, PoolStatus.DiskExtent... extents) {
    long bytes = 0;
    for (PoolStatus.DiskExtent e : extents) bytes += e.bytes();
    return new PoolStatus.PartUse(blade + "/Part(0)", "triple", position, state, bytes, true, List.of(extents));
  }

  static PoolStatus pool() {
    return new PoolStatus(List.of(
        new PoolStatus.Disk(B1 + "/Disk(0)", 32 * MIB, 4096, "pool", "", -1, "", 5 * MIB,
            List.of(part(B1, 0, "ACTIVE", new PoolStatus.DiskExtent(0, 2 * MIB),
                new PoolStatus.DiskExtent(8 * MIB, 3 * MIB)))),
        new PoolStatus.Disk(B1 + "/Disk(1)", 16 * MIB, 4096, "free", "", -1, "", 0),
        new PoolStatus.Disk(B2 + "/Disk(0)", 32 * MIB, 4096, "pool", "", -1, "", 5 * MIB,
            List.of(part(B2, 1, "REBUILDING", new PoolStatus.DiskExtent(16 * MIB, 5 * MIB)))),
        new PoolStatus.Disk(B3 + "/Disk(0)", 32 * MIB, 4096, "pool", "", -1, "", 5 * MIB,
            List.of(part(B3, 2, "FAILED", new PoolStatus.DiskExtent(0, 5 * MIB)))),
        new PoolStatus.Disk(C2 + "/Disk(0)", 8 * MIB, 4096, "member", EVIL, 0, "ACTIVE", 8 * MIB),
        new PoolStatus.Disk(R2 + "/Disk(0)", 8 * MIB, 4096, "free", "", -1, "", 0)),
        List.of(), 0, 0, 0, 0);
  }

  static Document parse(String svg) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setNamespaceAware(true);
    f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    return f.newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
  }

  static List<Element> all(Node in, String xpath) throws Exception {
    NodeList l = (NodeList) XPathFactory.newInstance().newXPath().evaluate(xpath, in, XPathConstants.NODESET);
    List<Element> out = new ArrayList<>();
    for (int i = 0; i < l.getLength(); i++) out.add((Element) l.item(i));
    return out;
  }

  static Element one(Node in, String xpath) throws Exception {
    List<Element> l = all(in, xpath);
    assertEquals(1, l.size(), xpath);
    return l.get(0);
  }

  static Set<String> classes(Element e) {
    return Set.of(e.getAttribute("class").split(" "));
  }

  static Element blade(Document d, String id) throws Exception {
    return one(d, "//*[local-name()='g'][@data-blade=\"" + id + "\"]");
  }

  @Test
  void bladesAreBoxesInTheirChassisAndRacksInDevicePathOrder() throws Exception {
    Document d = parse(MapSvg.render(status(), pool()));
    assertEquals("svg", d.getDocumentElement().getLocalName());
    assertEquals("http://www.w3.org/2000/svg", d.getDocumentElement().getNamespaceURI());
    assertEquals("9", d.getDocumentElement().getAttribute("data-epoch"));
    List<String> order = all(d, "//*[local-name()='g'][contains(@class,'blade')]").stream()
        .map(e -> e.getAttribute("data-blade")).toList();
    assertEquals(List.of(B1, B2, B3, C2, R2, LOST), order);
    for (String b : order) {
      io.rackshare.map.BladeId id = io.rackshare.map.BladeId.parse(b);
      Element chassis = (Element) blade(d, b).getParentNode();
      Element rack = (Element) chassis.getParentNode();
      assertEquals(String.valueOf(id.chassis()), chassis.getAttribute("data-chassis"), b);
      assertEquals(String.valueOf(id.rack()), rack.getAttribute("data-rack"), b);
    }
    assertEquals(List.of(B1 + "/Disk(0)", B1 + "/Disk(1)"),
        all(blade(d, B1), "*[local-name()='g'][@class='disk']").stream().map(e -> e.getAttribute("data-device")).toList());
  }

  @Test
  void aDrainShowsItsBladeAndEachMovesTargetWithItsProgress() throws Exception {
    BladeStatus s = status();
    BladeStatus.Volume triple = s.volumes().get(1);
    BladeStatus.Volume moving = new BladeStatus.Volume(triple.name(), triple.layout(), triple.health(), triple.detail(),
        triple.sizeBytes(), triple.blockSize(), triple.epoch(), triple.options(), triple.members(), triple.spares(),
        triple.rebuilds(), null, List.of(new BladeStatus.MoveStatus(0, B1 + "/Part(0)", C2 + "/Part(1)", 37.5,
            2 * MIB, 5 * MIB, 2, 1)));
    BladeStatus drained = new BladeStatus(s.blade(), s.manager(), s.blades(), s.mapEpoch(), s.mapDigest(),
        List.of(s.volumes().get(0), moving), s.nomination(), s.routing(), "", s.backup(), "", s.bladeDetails(), null,
        null, List.of(), s.quorum(), null, List.of(new BladeStatus.DrainStatus(B1, false, List.of("triple: x"))));
    List<PoolStatus.Disk> disks = new ArrayList<>(pool().disks());
    disks.add(new PoolStatus.Disk(C2 + "/Disk(1)", 32 * MIB, 4096, "pool", "", -1, "", 5 * MIB,
        List.of(new PoolStatus.PartUse(C2 + "/Part(1)", "triple", 0, "MOVING", 5 * MIB, true,
            List.of(new PoolStatus.DiskExtent(0, 5 * MIB))))));
    Document d = parse(MapSvg.render(drained, new PoolStatus(disks, List.of(), 0, 0, 0, 0)));
    assertEquals("draining", blade(d, B1).getAttribute("data-drain"));
    assertEquals("", blade(d, B2).getAttribute("data-drain"));
    Element target = one(blade(d, C2), ".//*[local-name()='g'][@class='use'][@data-state='MOVING']");
    assertTrue(target.getTextContent().contains("moving in 37.5%"), target.getTextContent());
    Element bar = one(d, "//*[local-name()='g'][@class='move']");
    assertEquals("37.5", bar.getAttribute("data-percent"));
    assertTrue(bar.getTextContent().contains(B1 + "/Part(0) -> " + C2 + "/Part(1)"), bar.getTextContent());
  }

  @Test
  void goneAndUnreachableBladesAreRedAndTheManagerAndBackupMarked() throws Exception {
    Document d = parse(MapSvg.render(status(), pool()));
    assertTrue(classes(blade(d, B1)).containsAll(Set.of("up", "manager", "self")), blade(d, B1).getAttribute("class"));
    assertTrue(classes(blade(d, B2)).containsAll(Set.of("up", "backup")), blade(d, B2).getAttribute("class"));
    assertFalse(classes(blade(d, B2)).contains("manager"));
    // Unreachable in the cluster; known only from its disk; known only from a member on it.
    for (String gone : List.of(B3, R2, LOST)) {
      Element box = one(blade(d, gone), "*[local-name()='rect'][@class='box']");
      assertTrue(classes(blade(d, gone)).contains("gone"), gone + ": " + blade(d, gone).getAttribute("class"));
      assertEquals(MapSvg.RED, box.getAttribute("stroke"), gone);
    }
    assertNotEquals(MapSvg.RED, one(blade(d, B1), "*[local-name()='rect'][@class='box']").getAttribute("stroke"));
    assertEquals("manager", one(blade(d, B1), ".//*[local-name()='g'][contains(@class,'badge')]//*[local-name()='text']")
        .getTextContent());
    assertTrue(one(d, "//*[local-name()='text'][@class='summary']").getTextContent()
        .contains("manager " + B1 + " · backup " + B2));
  }

  @Test
  void aVolumesExtentsAreInItsColourOnTheirDisksWhereTheyLie() throws Exception {
    Document d = parse(MapSvg.render(status(), pool()));
    String colour = MapSvg.colour("triple");
    assertEquals(colour, MapSvg.colour("triple"), "the same colour every time");
    assertNotEquals(colour, MapSvg.colour(EVIL));
    List<Element> extents = all(d, "//*[local-name()='rect'][contains(@class,'extent')][@data-volume='triple']");
    assertEquals(4, extents.size(), "two extents on blade 1, one each on blades 2 and 3");
    for (Element e : extents) {
      assertEquals(colour, e.getAttribute("fill"));
      Element disk = (Element) e.getParentNode();
      String part = e.getAttribute("data-device");
      assertEquals(part.replace("Part(0)", "Disk(0)"), disk.getAttribute("data-device"), "on its own disk");
    }
    // 8 MiB into a 32 MiB disk, 3 MiB long: a quarter along the bar.
    Element second = extents.get(1);
    assertEquals(MapSvg.BAR_W / 4.0, Double.parseDouble(second.getAttribute("x")), 0.06);
    assertEquals(MapSvg.BAR_W * 3.0 / 32, Double.parseDouble(second.getAttribute("width")), 0.06);
    // States: active solid, rebuilding with its progress, failed edged red.
    assertTrue(classes(extents.get(0)).contains("active"));
    Element rebuilding = extents.get(2);
    assertTrue(classes(rebuilding).contains("rebuilding"));
    Element progress = one(d, "//*[local-name()='g'][@class='rebuild']");
    assertEquals("42.5", progress.getAttribute("data-percent"));
    assertEquals(60 * 0.425, Double.parseDouble(one(progress, "*[@class='done']").getAttribute("width")), 0.06);
    assertTrue(one(blade(d, B2), ".//*[local-name()='g'][@class='use']").getTextContent().contains("rebuilding 42.5%"));
    Element failed = extents.get(3);
    assertTrue(classes(failed).contains("failed"));
    assertEquals(MapSvg.RED, failed.getAttribute("stroke"));
    // The free disk has no extent; the legend names the volume with its layout and health.
    assertTrue(all(d, "//*[local-name()='g'][@data-device='" + B1 + "/Disk(1)']/*[contains(@class,'extent')]").isEmpty());
    Element legend = one(d, "//*[local-name()='g'][@class='volume'][@data-volume='triple']");
    assertEquals("DEGRADED", legend.getAttribute("data-health"));
    assertEquals(colour, one(legend, "*[local-name()='rect']").getAttribute("fill"));
    assertTrue(legend.getTextContent().contains("raid1 · 5 MiB · 3 member(s)"), legend.getTextContent());
    assertTrue(progress.getTextContent().contains("member 1 (" + B2 + "/Part(0)) rebuilding: 42.5% of 5 MiB"),
        progress.getTextContent());
  }

  @Test
  void aVolumeNameFullOfMarkupStaysText() throws Exception {
    String svg = MapSvg.render(status(), pool());
    assertFalse(svg.contains("<script"), "no element from a name");
    assertFalse(svg.contains("\u0007"), "no character XML forbids");
    Document d = parse(svg);
    assertTrue(all(d, "//*[local-name()='script']").isEmpty());
    String shown = EVIL.replace('\u0007', '\ufffd');
    Element legend = one(d, "//*[local-name()='g'][@class='volume'][contains(@data-volume,'alert')]");
    assertEquals(shown, legend.getAttribute("data-volume"));
    assertTrue(legend.getTextContent().startsWith(MapSvg.shorten(shown)), legend.getTextContent());
    Element extent = one(blade(d, C2), ".//*[local-name()='rect'][contains(@class,'extent')]");
    assertEquals(MapSvg.colour(EVIL), extent.getAttribute("fill"));
    // Its member on a blade the pool does not list is still named, on that (gone) blade.
    assertTrue(one(blade(d, LOST), ".//*[local-name()='g'][@class='loose']").getTextContent()
        .contains(MapSvg.shorten(shown, MapSvg.SHORT_NAME_CHARS)));
  }

  @Test
  void anEndpointWithoutAPoolDrawsItsBladesAndVolumes() throws Exception {
    ManagementEndpoint.Operations ops = new ManagementEndpoint.Operations() {
      @Override
      public java.util.concurrent.CompletionStage<BladeStatus> status() {
        return java.util.concurrent.CompletableFuture.completedFuture(MapSvgTest.status());
      }

      @Override
      public java.util.concurrent.CompletionStage<Long> failMember(String volume, String device) {
        throw new UnsupportedOperationException();
      }
    };
    Document d = parse(ops.mapSvg().toCompletableFuture().get());
    assertTrue(all(d, "//*[local-name()='g'][@class='disk']").isEmpty(), "no pool, no disks");
    assertTrue(classes(blade(d, B3)).contains("gone"));
    // Members are still shown on their blades, by name.
    assertEquals(3, all(d, "//*[local-name()='g'][@class='loose']/*[local-name()='g'][@data-volume='triple']").size());
  }

  @Test
  void whatXmlForbidsIsReplacedAndPairsAreKept() {
    assertEquals("a&lt;b&gt;&amp;&quot;&#39;\ufffd\ufffd😀", Svg.escape("a<b>&\"'\u0000\ud800😀"));
  }
}
