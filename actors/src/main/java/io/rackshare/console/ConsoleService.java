package io.rackshare.console;

import io.rackshare.map.BladeId;
import io.rackshare.smm.SmmHandler;
import java.util.HashSet;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A blade's console on the OOB channel: the video router's source and the keyboard router's sink
 * (Figures 12, 13). Stations attach through the blade's SMM handler; every change of the screen
 * goes to each of them as a {@link ConsoleProtocol.Frame}, and their keys go into the console.
 */
public final class ConsoleService {
  private ConsoleService() {}

  private sealed interface Msg {}

  private record FromOob(SmmHandler.Delivery delivery) implements Msg {}

  private record Image(ConsoleDriver.ScreenImage image) implements Msg {}

  private record Gone(ActorRef<ConsoleProtocol.Frame> viewer) implements Msg {}

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

  public static Behavior<?> create(BladeId self, ActorRef<SmmHandler.Command> smm,
      ActorRef<ConsoleDriver.Command> console) {
    return Behaviors.<Msg>setup(ctx -> {
      smm.tell(new SmmHandler.RegisterHandler("console", m -> m instanceof ConsoleProtocol.ForConsole,
          ctx.messageAdapter(SmmHandler.Delivery.class, FromOob::new)));
      ActorRef<ConsoleDriver.ScreenImage> images = ctx.messageAdapter(ConsoleDriver.ScreenImage.class, Image::new);
      ctx.spawn(ScreenFollower.create(console, images::tell), "follower");
      Set<ActorRef<ConsoleProtocol.Frame>> viewers = new HashSet<>();
      ConsoleDriver.ScreenImage[] last = {null};
      return Behaviors.receive(Msg.class)
          .onMessage(FromOob.class, f -> {
            Object m = f.delivery().message();
            if (m instanceof ConsoleProtocol.Attach a) {
              if (viewers.add(a.viewer())) {
                ctx.watchWith(a.viewer(), new Gone(a.viewer()));
                ctx.getLog().info("console of {}: station {} attached", self, a.station());
              }
              if (last[0] != null) a.viewer().tell(new ConsoleProtocol.Frame(self, last[0]));
            } else if (m instanceof ConsoleProtocol.Detach d) {
              if (viewers.remove(d.viewer())) ctx.unwatch(d.viewer());
            } else if (m instanceof ConsoleProtocol.Keys k) {
              console.tell(new ConsoleDriver.Keys(k.bytes()));
            } else if (m instanceof ConsoleProtocol.GetLog g) {
              SmmHandler.Responder responder = f.delivery().responder();
              int n = Math.max(1, Math.min(g.lines(), 10_000));
              console.tell(new ConsoleDriver.GetLog(logReplies(ctx.messageAdapter(java.util.List.class,
                  l -> new LogRead(castChunks(l), n, responder)))));
            }
            return Behaviors.same();
          })
          .onMessage(Image.class, i -> {
            last[0] = i.image();
            ConsoleProtocol.Frame frame = new ConsoleProtocol.Frame(self, i.image());
            viewers.forEach(v -> v.tell(frame));
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
    });
  }
}
