package io.rackshare.console;

import io.rackshare.blade.Blade;
import io.rackshare.blade.DiscoveredResource;
import io.rackshare.manager.ManagerProtocol;
import io.rackshare.map.BladeId;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.smm.SmmHandler;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A blade's console on the OOB channel, the driver of its console devices: the video router's
 * source and the keyboard router's sink (Figures 12, 13). A station attaches through the blade's
 * SMM handler; every change of the screen goes to it as a {@link ConsoleProtocol.Frame}, and its
 * keys go into the console.
 *
 * <p>The blade's copy of the global resource map decides who that is: only a station the map
 * routes to this blade gets its screen or types into it. A station that claims a newer map than
 * this blade's is believed (this blade's copy is stale, and it asks the manager to resynchronise,
 * 0081); one whose map is not newer is refused with a {@link ConsoleProtocol.Refused}.
 */
public final class ConsoleService {
  private ConsoleService() {}

  private sealed interface Msg {}

  private record FromOob(SmmHandler.Delivery delivery) implements Msg {}

  private record Image(ConsoleDriver.ScreenImage image) implements Msg {}

  private record Gone(ActorRef<ConsoleProtocol.Frames> viewer) implements Msg {}

  private record MapChanged(GlobalResourceMap map) implements Msg {}

  private record LogRead(java.util.List<ConsoleDriver.LogChunk> chunks, int lines, SmmHandler.Responder responder)
      implements Msg {}

  private static final java.util.regex.Pattern CONTROL =
      java.util.regex.Pattern.compile("\u001b\\[[0-?]*[ -/]*[@-~]|\u001b\\][^\u0007\u001b]*(\u0007|\u001b\\\\)"
          + "|\u001b[()][0-9A-Za-z]|\u001b[=>78DEMc]|[\u0000-\u0008\u000b-\u001f\u007f]");
  private static final java.time.format.DateTimeFormatter TIME =
      java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(java.time.ZoneId.systemDefault());

  /** The log's last {@code n} lines as text: escape sequences and control characters removed. */
  static java.util.List<String> lines(java.util.List<ConsoleDriver.LogChunk> chunks, int n) {
    java.util.LinkedList<String> out = new java.util.LinkedList<>();
    StringBuilder line = new StringBuilder();
    long lineTime = -1;
    String text = "";
    for (ConsoleDriver.LogChunk c : chunks) {
      String t = new String(c.bytes(), java.nio.charset.StandardCharsets.UTF_8);
      for (int i = 0; i < t.length(); i++) {
        char ch = t.charAt(i);
        if (lineTime < 0) lineTime = c.epochMillis();
        if (ch == '\n') {
          out.add(TIME.format(java.time.Instant.ofEpochMilli(lineTime)) + " "
              + CONTROL.matcher(line).replaceAll(""));
          if (out.size() > n) out.removeFirst();
          line.setLength(0);
          lineTime = -1;
        } else {
          line.append(ch);
        }
      }
    }
    if (line.length() > 0) {
      text = CONTROL.matcher(line).replaceAll("");
      if (!text.isBlank()) {
        out.add(TIME.format(java.time.Instant.ofEpochMilli(lineTime)) + " " + text);
        if (out.size() > n) out.removeFirst();
      }
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static java.util.List<ConsoleDriver.LogChunk> castChunks(java.util.List<?> l) {
    return (java.util.List<ConsoleDriver.LogChunk>) l;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static ActorRef<java.util.List<ConsoleDriver.LogChunk>> logReplies(ActorRef ref) {
    return ref;
  }

  /** The driver of a blade's console devices: runs the console command and serves it on the OOB channel. */
  public static Behavior<Void> create(DiscoveredResource.DriverContext c, ConsoleDriver.Settings settings) {
    return Behaviors.<Msg>setup(ctx -> {
      ActorRef<ConsoleDriver.Command> console = ctx.spawn(ConsoleDriver.create(settings), "console");
      return serve(ctx, c.blade(), c.smm(), c.bladeActor(), console);
    }).unsafeCast();
  }

  /** An attached viewer's station, and the map epoch under which it attached. */
  private record Viewer(BladeId station, long epoch) {}

  private static Behavior<Msg> serve(org.apache.pekko.actor.typed.javadsl.ActorContext<Msg> ctx, BladeId self,
      ActorRef<SmmHandler.Command> smm, ActorRef<Blade.Command> blade, ActorRef<ConsoleDriver.Command> console) {
    smm.tell(new SmmHandler.RegisterHandler("console", m -> m instanceof ConsoleProtocol.ForConsole,
        ctx.messageAdapter(SmmHandler.Delivery.class, FromOob::new)));
    blade.tell(new Blade.SubscribeMap(ctx.messageAdapter(GlobalResourceMap.class, MapChanged::new)));
    ActorRef<ConsoleDriver.ScreenImage> images = ctx.messageAdapter(ConsoleDriver.ScreenImage.class, Image::new);
    ctx.spawn(ScreenFollower.create(console, images::tell), "follower");
    // Each attached viewer, with the station it belongs to and the map epoch it attached under.
    Map<ActorRef<ConsoleProtocol.Frames>, Viewer> viewers = new HashMap<>();
    ConsoleDriver.ScreenImage[] last = {null};
    GlobalResourceMap[] map = {GlobalResourceMap.EMPTY};

    // Null if the map routes {@code station} here (or the station's map is newer); else why not.
    java.util.function.BiFunction<BladeId, Long, String> refusal = (station, epoch) -> {
      if (map[0].routesConsole(station, self)) return null;
      if (epoch > map[0].epoch()) {
        smm.tell(new SmmHandler.SendToManager(new ManagerProtocol.ResyncRequest(self, "console", epoch,
            "station " + station + " routes to this console under a newer map")));
        return null;
      }
      return "the map (epoch " + map[0].epoch() + ") routes the station on " + station + " to "
          + map[0].console(station).map(r -> r.target().toString()).orElse("no console");
    };

    return Behaviors.receive(Msg.class)
        .onMessage(FromOob.class, f -> {
          Object m = f.delivery().message();
          BladeId from = f.delivery().from();
          if (m instanceof ConsoleProtocol.Attach a) {
            String refused = refusal.apply(from, a.epoch());
            if (refused != null) {
              ctx.getLog().warn("console of {}: refusing station {}: {}", self, from, refused);
              smm.tell(new SmmHandler.Send(from, new ConsoleProtocol.Refused(self, refused, map[0].epoch())));
            } else {
              if (viewers.put(a.viewer(), new Viewer(from, a.epoch())) == null) {
                ctx.watchWith(a.viewer(), new Gone(a.viewer()));
                ctx.getLog().info("console of {}: station {} attached", self, from);
              }
              if (last[0] != null) a.viewer().tell(new ConsoleProtocol.Frame(self, last[0]));
            }
          } else if (m instanceof ConsoleProtocol.Detach d) {
            if (viewers.remove(d.viewer()) != null) ctx.unwatch(d.viewer());
          } else if (m instanceof ConsoleProtocol.Keys k) {
            String refused = refusal.apply(from, k.epoch());
            if (refused == null) {
              console.tell(new ConsoleDriver.Keys(k.bytes()));
            } else {
              ctx.getLog().warn("console of {}: dropping {} key byte(s) from {}: {}", self, k.bytes().length, from,
                  refused);
              smm.tell(new SmmHandler.Send(from, new ConsoleProtocol.Refused(self, refused, map[0].epoch())));
            }
          } else if (m instanceof ConsoleProtocol.GetLog g) {
            SmmHandler.Responder responder = f.delivery().responder();
            int n = Math.max(1, Math.min(g.lines(), 10_000));
            console.tell(new ConsoleDriver.GetLog(logReplies(ctx.messageAdapter(java.util.List.class,
                l -> new LogRead(castChunks(l), n, responder)))));
          }
          return Behaviors.same();
        })
        .onMessage(MapChanged.class, c -> {
          map[0] = c.map();
          // A station routed elsewhere now gets no more frames from this console. One that
          // attached under a newer map than this one (this blade's map is behind: it just joined)
          // stays: the newer map is on its way here.
          viewers.entrySet().removeIf(e -> {
            boolean still = map[0].epoch() < e.getValue().epoch() || map[0].routesConsole(e.getValue().station(), self);
            if (!still) {
              ctx.unwatch(e.getKey());
              ctx.getLog().info("console of {}: station {} is routed elsewhere (map epoch {})", self,
                  e.getValue().station(), map[0].epoch());
            }
            return !still;
          });
          return Behaviors.same();
        })
        .onMessage(Image.class, i -> {
          // Every viewer has the last image (whole at attach, then each change in order): send
          // what changed since, or the whole screen if its size changed.
          ScreenRows rows = last[0] == null ? null : ScreenRows.between(last[0], i.image());
          ConsoleProtocol.Frames frame = rows == null ? new ConsoleProtocol.Frame(self, i.image())
              : new ConsoleProtocol.FrameRows(self, last[0].version(), rows);
          last[0] = i.image();
          viewers.keySet().forEach(v -> v.tell(frame));
          return Behaviors.same();
        })
        .onMessage(LogRead.class, l -> {
          if (l.responder() != null) l.responder().reply(new ConsoleProtocol.Log(self, lines(l.chunks(), l.lines())));
          return Behaviors.same();
        })
        .onMessage(Gone.class, g -> {
          viewers.remove(g.viewer());
          return Behaviors.same();
        })
        .build();
  }
}
