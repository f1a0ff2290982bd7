package io.rackshare.serialization;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.rackshare.manager.ManagerProtocol;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.DeviceSegment;
import io.rackshare.map.Extent;
import io.rackshare.map.Member;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.map.ResourceConfig;
import io.rackshare.map.ResourceDescriptor;
import io.rackshare.smm.SmmHandler;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every class that crosses JVMs goes through our Kryo serializer and comes back equal. */
class KryoSerializerTest {

  static ActorTestKit kit;
  static Serialization serialization;

  @BeforeAll
  static void start() {
    kit = ActorTestKit.create("kryo", ConfigFactory.parseString(
        "pekko.actor.provider = cluster\n"
            + "pekko.remote.artery.canonical.hostname = 127.0.0.1\n"
            + "pekko.remote.artery.canonical.port = 0\n").withFallback(ConfigFactory.load()));
    serialization = SerializationExtension.get(Adapter.toClassic(kit.system()));
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  static List<Object> samples(TestProbe<SmmHandler.Command> probe) {
    BladeId b = new BladeId(1, 2, 3);
    DevicePath d = DevicePath.disk(b, 0);
    DeviceSegment seg = new DeviceSegment(d, 4096, 8192, 512);
    ResourceDescriptor res = new ResourceDescriptor(d, new ResourceConfig.Block(4096, 100));
    GlobalResourceDescriptor vol = new GlobalResourceDescriptor("v0", "span", 4096, 100, 100,
        List.of(Member.active(d, 1), new Member(DevicePath.disk(b, 1), Member.State.REBUILDING, 3)),
        List.of(DevicePath.disk(b, 2)), List.of(new Extent(0, 100, d, 0)), Map.of("stripe", "64k"), 3);
    DevicePath part = new DevicePath(b, io.rackshare.map.Part.KIND, 0);
    GlobalResourceDescriptor pooled = new GlobalResourceDescriptor("p0", "raid1", 4096, 50, 64,
        List.of(Member.active(part, 4)), List.of(), List.of(), Map.of("copies", "2"), 4,
        List.of(new io.rackshare.map.Part(part, List.of(new Extent(0, 32, d, 64), new Extent(32, 32, d, 256)), 32)),
        new io.rackshare.map.Growth(64, 60, List.of()));
    GlobalResourceMap map = new GlobalResourceMap(4, Map.of("v0", vol, "p0", pooled));
    return List.of(
        b, d, seg, res, new ResourceConfig.Block(512, 1), new Extent(5, 6, d, 7), vol, map,
        GlobalResourceMap.EMPTY, pooled.parts().get(0),
        new io.rackshare.map.VolumeRequest("p2", "span", 4096, 0, 0, 0, Map.of()),
        new SmmHandler.Hello(b, probe.ref(), true, 42, 25599, "/tmp/lane.sock", "boot-id", "0a0b0c"),
        new SmmHandler.Envelope(b, 9, new ManagerProtocol.ResyncRequest(b, "v0", 1, "why")),
        new SmmHandler.ReplyEnvelope(9, new ManagerProtocol.MapUpdate(map)),
        new SmmHandler.ManagerAt(b, 77),
        new SmmHandler.ManagerGone(b, 77),
        new SmmHandler.Unclaimed("x.Y"),
        new ManagerProtocol.RegisterResources(b, List.of(res), map),
        new ManagerProtocol.RegisterResources(b, List.of(), GlobalResourceMap.EMPTY),
        new ManagerProtocol.ResyncRequest(b, "v0", 1, "why"),
        new ManagerProtocol.GetMap(),
        new ManagerProtocol.MapUpdate(map),
        new ManagerProtocol.MapInstalled(3),
        new ManagerProtocol.MemberFailed(b, "v0", d, 3, "UNREACHABLE: gone", true),
        new ManagerProtocol.MapConfirmed(4),
        new ManagerProtocol.RebuildDone(b, "v0", 1, d, 3),
        new ManagerProtocol.RebuildProgress("v0", 1, d, 3, 1 << 20, 4 << 20, 1.5e6, false),
        Member.active(d, 2),
        new io.rackshare.manager.ResourceManager.Wake(),
        new io.rackshare.console.ConsoleProtocol.Attach(b, frames(probe), 7),
        new io.rackshare.console.ConsoleProtocol.Detach(frames(probe)),
        new io.rackshare.console.ConsoleProtocol.Keys(new byte[] {'l', 's', '\r'}, 7),
        new io.rackshare.console.ConsoleProtocol.Refused(b, "routed elsewhere", 8),
        new ManagerProtocol.RouteConsole(b, b, true),
        io.rackshare.map.ConsoleRoute.to(b, b, 9),
        new io.rackshare.map.ResourceConfig.Video(80, 25, "bash"),
        new io.rackshare.map.ResourceConfig.Keyboard("utf-8"),
        new io.rackshare.map.ResourceConfig.Mouse("xterm"),
        new ManagerProtocol.ConsoleRouteAnswer(io.rackshare.map.ConsoleRoute.to(b, b, 9), null),
        new ManagerProtocol.ConsoleRouteAnswer(null, "no console"),
        new ManagerProtocol.CreateVolume(new io.rackshare.map.VolumeRequest("p1", "raid1", 1 << 30, 3, 0, 1,
            Map.of("read-policy", "primary"))),
        new ManagerProtocol.VolumeAnswer(pooled, null),
        new ManagerProtocol.VolumeAnswer(null, "the pool cannot hold it"),
        new ManagerProtocol.PartReady(b, "p1", new DevicePath(b, io.rackshare.map.Part.KIND, 3), 4096),
        new ManagerProtocol.GrowVolume("p1", 2L << 30), pooled.growth(),
        new ManagerProtocol.RemoveVolume("p1"), new ManagerProtocol.ExportClients("p1"),
        new ManagerProtocol.ExportClientsAnswer("p1", 2), map.without("v0", 9),
        new io.rackshare.map.Move(0, part, 5), new io.rackshare.map.Drain(true, 6),
        map.with(b, new io.rackshare.map.Drain(true, 6)),
        pooled.withMoves(List.of(new io.rackshare.map.Move(0, part, 5)), pooled.parts(), 5),
        new ManagerProtocol.MoveDone(b, "p0", 0, part, 5), new ManagerProtocol.DrainBlade(b, true),
        new ManagerProtocol.DrainAnswer(b, true, List.of("p0: a -> b"), null),
        io.rackshare.map.ResourceConfig.Medium.empty("cd1", 2048),
        new io.rackshare.media.MediaProtocol.ChangeMedium(io.rackshare.map.DevicePath.media(b, 0), "debian.iso"),
        new io.rackshare.media.MediaProtocol.MediumAnswer(io.rackshare.map.DevicePath.media(b, 0),
            new io.rackshare.map.ResourceConfig.Medium("cd0", "debian.iso", 2048, 300, "medium-0123"), null),
        new ResourceConfig.Block(4096, 16, "5f0c-incarnation"), Member.active(d, 2).holding("5f0c-incarnation"),
        new ManagerProtocol.MapUpdate(GlobalResourceMap.EMPTY.with(io.rackshare.map.ConsoleRoute.to(b, b, 9)),
            List.of(new io.rackshare.map.ResourceDescriptor(io.rackshare.map.DevicePath.video(b),
                new io.rackshare.map.ResourceConfig.Video(80, 25, "bash")),
                new io.rackshare.map.ResourceDescriptor(io.rackshare.map.DevicePath.keyboard(b),
                new io.rackshare.map.ResourceConfig.Keyboard("utf-8")),
                new io.rackshare.map.ResourceDescriptor(io.rackshare.map.DevicePath.mouse(b),
                new io.rackshare.map.ResourceConfig.Mouse("xterm")))),
        new io.rackshare.console.ConsoleProtocol.Frame(b, screen()),
        new io.rackshare.console.ConsoleProtocol.FrameRows(b, 3, io.rackshare.console.ScreenRows.between(screen(), typed())),
        new io.rackshare.console.ConsoleProtocol.GetLog(20),
        new io.rackshare.console.ConsoleProtocol.Log(b, List.of("12:00:00.000 $ ls", "12:00:00.001 file")));
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  static org.apache.pekko.actor.typed.ActorRef<io.rackshare.console.ConsoleProtocol.Frames> frames(
      TestProbe<SmmHandler.Command> probe) {
    return (org.apache.pekko.actor.typed.ActorRef) probe.ref();
  }

  /** {@link #screen} with a key typed on its second row. */
  static io.rackshare.console.ConsoleDriver.ScreenImage typed() {
    io.rackshare.console.ConsoleDriver.ScreenImage s = screen();
    int[] chars = s.chars().clone();
    chars[2] = 'x';
    return new io.rackshare.console.ConsoleDriver.ScreenImage(2, 2, chars, s.foreground(), s.background(),
        s.attributes(), 1, 1, true, 1000, true, 18);
  }

  static io.rackshare.console.ConsoleDriver.ScreenImage screen() {
    int[] chars = {'o', 'k', ' ', ' '};
    return new io.rackshare.console.ConsoleDriver.ScreenImage(2, 2, chars, new int[] {1, -1, -1, -1},
        new int[] {-1, -1, 4, -1}, new int[] {1, 0, 0, 4}, 1, 0, true, 1000, true, 17);
  }

  @Test
  void everyMessageRoundTripsThroughKryo() {
    TestProbe<SmmHandler.Command> probe = kit.createTestProbe();
    for (Object o : samples(probe)) {
      Serializer s = serialization.findSerializerFor(o);
      assertInstanceOf(KryoSerializer.class, s, "serializer of " + o.getClass());
      byte[] bin = s.toBinary(o);
      Object back = serialization.deserialize(bin, s.identifier(), "").get();
      assertDeepEquals(o, back);
    }
  }

  /** A typed key changes one row: its frame on the OOB channel is that row, not the 80x25 screen. */
  @Test
  void aOneRowChangeTravelsAsThatRow() {
    int n = 80 * 25;
    int[] chars = new int[n];
    for (int i = 0; i < n; i++) chars[i] = 'a' + i % 26;
    int[] fg = new int[n];
    java.util.Arrays.fill(fg, 7);
    io.rackshare.console.ConsoleDriver.ScreenImage before = new io.rackshare.console.ConsoleDriver.ScreenImage(80, 25,
        chars, fg, new int[n], new int[n], 3, 10, true, 0, false, 1);
    int[] typed = chars.clone();
    typed[3 * 80 + 10] = '#';
    io.rackshare.console.ConsoleDriver.ScreenImage after = new io.rackshare.console.ConsoleDriver.ScreenImage(80, 25,
        typed, fg, new int[n], new int[n], 3, 11, true, 0, false, 2);
    BladeId b = new BladeId(1, 1, 3);
    Object whole = new io.rackshare.console.ConsoleProtocol.Frame(b, after);
    Object rows = new io.rackshare.console.ConsoleProtocol.FrameRows(b, 1,
        io.rackshare.console.ScreenRows.between(before, after));
    int wholeBytes = serialization.findSerializerFor(whole).toBinary(whole).length;
    int rowBytes = serialization.findSerializerFor(rows).toBinary(rows).length;
    assertTrue(rowBytes * 20 < wholeBytes, rowBytes + " bytes for the row vs " + wholeBytes + " for the screen");
  }

  @Test
  void anActorRefStillReachesItsActorAfterTheRoundTrip() {
    TestProbe<SmmHandler.Command> probe = kit.createTestProbe();
    SmmHandler.Hello hello = new SmmHandler.Hello(new BladeId(1, 1, 1), probe.ref(), false, 0, 0, "", "", "");
    Serializer s = serialization.findSerializerFor(hello);
    SmmHandler.Hello back = (SmmHandler.Hello) serialization.deserialize(s.toBinary(hello), s.identifier(), "").get();
    back.smm().tell(new SmmHandler.ManagerAt(new BladeId(1, 1, 1), 5));
    assertEquals(new SmmHandler.ManagerAt(new BladeId(1, 1, 1), 5), probe.receiveMessage());
  }

  /** Finds every concrete RackshareSerializable class and checks the samples cover it. */
  @Test
  void theSamplesCoverEveryClassThatCrossesJvms() throws Exception {
    Path classes = Path.of(RackshareSerializable.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    Set<String> found = new TreeSet<>();
    try (Stream<Path> files = Files.walk(classes)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
        String name = classes.relativize(f).toString().replace('/', '.').replaceAll("\\.class$", "");
        Class<?> c = Class.forName(name, false, getClass().getClassLoader());
        if (RackshareSerializable.class.isAssignableFrom(c) && !c.isInterface()
            && !Modifier.isAbstract(c.getModifiers())) {
          found.add(c.getName());
        }
      }
    }
    Set<String> sampled = new TreeSet<>();
    samples(kit.createTestProbe()).forEach(o -> sampled.add(o.getClass().getName()));
    assertTrue(found.size() > 20, "found only " + found);
    assertEquals(found, sampled);
  }

  @Test
  void malformedBytesAreAClearErrorNotAnyObject() throws Exception {
    Serializer s = serialization.serializerFor(BladeId.class);
    byte[] good = s.toBinary(new BladeId(1, 1, 1));
    byte[] truncated = java.util.Arrays.copyOf(good, good.length - 1);
    Throwable t = serialization.deserialize(truncated, s.identifier(), "").failed().get();
    assertTrue(t.getMessage().contains("cannot deserialize"), t.getMessage());
    Throwable unknownClass = serialization.deserialize(new byte[] {(byte) 0xf0, 0x7f}, s.identifier(), "").failed().get();
    assertTrue(unknownClass.getMessage().contains("cannot deserialize"), unknownClass.getMessage());
  }

  @Test
  void anUnregisteredClassIsRefused() throws Exception {
    record NotRegistered(int x) implements RackshareSerializable {}
    Serializer s = serialization.findSerializerFor(new NotRegistered(1));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.toBinary(new NotRegistered(1)));
    assertTrue(e.getMessage().contains("NotRegistered"), e.getMessage());
  }

  /** Records compared component by component, arrays by content. */
  static void assertDeepEquals(Object expected, Object actual) {
    assertEquals(expected.getClass(), actual.getClass());
    if (expected instanceof byte[] e) {
      assertArrayEquals(e, (byte[]) actual);
    } else if (expected instanceof int[] e) {
      assertArrayEquals(e, (int[]) actual);
    } else if (expected.getClass().isRecord()) {
      for (RecordComponent rc : expected.getClass().getRecordComponents()) {
        try {
          Object a = rc.getAccessor().invoke(expected);
          Object b = rc.getAccessor().invoke(actual);
          if (a == null || b == null) assertEquals(a, b);
          else assertDeepEquals(a, b);
        } catch (ReflectiveOperationException ex) {
          throw new AssertionError(ex);
        }
      }
    } else if (expected instanceof List<?> l) {
      List<Object> r = new ArrayList<>((List<?>) actual);
      assertEquals(l.size(), r.size());
      for (int i = 0; i < l.size(); i++) assertDeepEquals(l.get(i), r.get(i));
    } else {
      assertEquals(expected, actual);
    }
  }
}
