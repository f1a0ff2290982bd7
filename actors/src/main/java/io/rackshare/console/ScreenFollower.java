package io.rackshare.console;

import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Follows a {@link ConsoleDriver}: on each change it fetches the screen (one request at a time; a
 * burst of changes costs one more) and hands it to {@code sink}.
 */
final class ScreenFollower {
  private ScreenFollower() {}

  sealed interface Msg {}

  private record Changed(ConsoleDriver.Changed changed) implements Msg {}

  private record Image(ConsoleDriver.ScreenImage image) implements Msg {}

  static Behavior<Msg> create(ActorRef<ConsoleDriver.Command> console, Consumer<ConsoleDriver.ScreenImage> sink) {
    return Behaviors.setup(ctx -> {
      ActorRef<ConsoleDriver.ScreenImage> images = ctx.messageAdapter(ConsoleDriver.ScreenImage.class, Image::new);
      console.tell(new ConsoleDriver.Subscribe(ctx.messageAdapter(ConsoleDriver.Changed.class, Changed::new)));
      boolean[] asking = {false};
      boolean[] again = {false};
      return Behaviors.receive(Msg.class)
          .onMessage(Changed.class, c -> {
            if (asking[0]) {
              again[0] = true;
            } else {
              asking[0] = true;
              console.tell(new ConsoleDriver.GetScreen(images));
            }
            return Behaviors.same();
          })
          .onMessage(Image.class, i -> {
            sink.accept(i.image());
            if (again[0]) {
              again[0] = false;
              console.tell(new ConsoleDriver.GetScreen(images));
            } else {
              asking[0] = false;
            }
            return Behaviors.same();
          })
          .build();
    });
  }
}
