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
            }
            return Behaviors.same();
          })
          .onMessage(Image.class, i -> {
            last[0] = i.image();
            ConsoleProtocol.Frame frame = new ConsoleProtocol.Frame(self, i.image());
            viewers.forEach(v -> v.tell(frame));
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
