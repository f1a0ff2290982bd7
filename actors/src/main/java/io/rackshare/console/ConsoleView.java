package io.rackshare.console;

import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * What a console station shows, for the threads that serve viewers (the RFB connections): the
 * newest screen of the console it is routed to, a banner line when something is wrong (the target
 * blade is down), and where keys go. Each change gets a new sequence number; viewers wait for one
 * newer than what they last sent.
 */
public final class ConsoleView {

  /** One state of the view: {@code banner} is null when all is well. */
  public record State(long seq, ConsoleDriver.ScreenImage image, String banner) {}

  private final Object lock = new Object();
  private volatile Consumer<byte[]> keys;
  private State state = new State(0, null, null);

  public ConsoleView(Consumer<byte[]> keys) {
    this.keys = keys;
  }

  /** A view of a console of this JVM: a small actor follows the driver's changes. */
  public static ConsoleView of(ActorSystem<?> system, ActorRef<ConsoleDriver.Command> console, String name) {
    ConsoleView view = new ConsoleView(b -> console.tell(new ConsoleDriver.Keys(b)));
    system.systemActorOf(ScreenFollower.create(console, view::show), name, Props.empty());
    return view;
  }

  /** Shows {@code image} (and clears the banner). */
  public void show(ConsoleDriver.ScreenImage image) {
    synchronized (lock) {
      state = new State(state.seq() + 1, image, null);
      lock.notifyAll();
    }
  }

  /** Shows {@code banner} over the last screen (null clears it). */
  public void banner(String banner) {
    synchronized (lock) {
      state = new State(state.seq() + 1, state.image(), banner);
      lock.notifyAll();
    }
  }

  /** The newest state after {@code seen} with a screen, waiting up to {@code millis}; null if none. */
  public State awaitNewer(long seen, long millis) throws InterruptedException {
    long deadline = System.currentTimeMillis() + millis;
    synchronized (lock) {
      while (state.image() == null || state.seq() == seen) {
        long left = deadline - System.currentTimeMillis();
        if (left <= 0) return null;
        lock.wait(left);
      }
      return state;
    }
  }

  /** The newest screen, or null before the first. */
  public ConsoleDriver.ScreenImage current() {
    synchronized (lock) {
      return state.image();
    }
  }

  public String currentBanner() {
    synchronized (lock) {
      return state.banner();
    }
  }

  public void keys(byte[] bytes) {
    keys.accept(bytes);
  }

  /** Routes keys elsewhere (the station does, when it switches targets). */
  public void keysTo(Consumer<byte[]> sink) {
    this.keys = sink;
  }
}
