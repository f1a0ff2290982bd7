package io.rackshare.console;

import io.rackshare.map.BladeId;
import io.rackshare.serialization.RackshareSerializable;
import io.rackshare.smm.OobMessage;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The console routers' messages on the OOB channel (Figures 12, 13): a station attaches to a
 * blade's console and receives its screen as frames (the video router); keys travel the other way
 * (the keyboard router). The program on the blade sees neither.
 */
public final class ConsoleProtocol {
  private ConsoleProtocol() {}

  /** Messages a blade's {@link ConsoleService} claims. */
  public sealed interface ForConsole extends OobMessage {}

  /**
   * Send this blade's screen to {@code viewer} now and on every change, until {@link Detach}:
   * the station on {@code station} is routed here by its map of {@code epoch}.
   */
  public record Attach(BladeId station, ActorRef<Frames> viewer, long epoch) implements ForConsole {}

  /**
   * A one-way message: stop sending this console's frames to {@code viewer}. A station sends it to
   * the blade it showed when its console route moves to another blade.
   */
  public record Detach(ActorRef<Frames> viewer) implements ForConsole {}

  /** Keyboard (and mouse report) bytes for this blade's console, from a station routed here at {@code epoch}. */
  public record Keys(byte[] bytes, long epoch) implements ForConsole {}

  /** A console refused a station's attach or keys: its map (of {@code epoch}) routes the station elsewhere. */
  public record Refused(BladeId blade, String reason, long epoch) implements OobMessage {}

  /** Asks for the last {@code lines} lines of the console's output log; answered with a {@link Log}. */
  public record GetLog(int lines) implements ForConsole {}

  /** Console output as text lines, each with the time it was written ("HH:mm:ss.SSS text"). */
  public record Log(BladeId blade, java.util.List<String> lines) implements OobMessage {
    public Log {
      lines = java.util.List.copyOf(lines);
    }
  }

  /** Stations attached to a blade's console get its frames: first a whole one, then its changes. */
  public sealed interface Frames extends RackshareSerializable {
    BladeId blade();
  }

  /** A blade's whole screen, pushed to a station when it attaches (and when sizes change). */
  public record Frame(BladeId blade, ConsoleDriver.ScreenImage image) implements Frames {}

  /** The rows of a blade's screen that changed since the frame of version {@code baseVersion}. */
  public record FrameRows(BladeId blade, long baseVersion, ScreenRows rows) implements Frames {}
}
