package io.rackshare.console;

import io.rackshare.map.BladeId;
import io.rackshare.map.ResourceConfig;
import io.rackshare.serialization.RackshareSerializable;
import io.rackshare.smm.OobMessage;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The audio router's messages on the OOB channel: a console station listens to the audio source of
 * the blade its console route shows ({@link AudioStation}), and that blade's {@link AudioDriver}
 * sends it the captured PCM in chunks as they come, in real time. Like the console's frames, the
 * chunks go straight to the station's listener; a station that stops hearing them listens again.
 */
public final class AudioProtocol {
  private AudioProtocol() {}

  /** Messages a blade's {@link AudioDriver} of device {@code .../Audio(device)} claims. */
  public sealed interface ForAudio extends OobMessage {
    int device();
  }

  /**
   * A request: send this source's audio to {@code listener} until {@link Unlisten}; the station on
   * the sending blade is routed here by its map of {@code epoch}. Answered with {@link Listening}
   * or {@link Refused}.
   */
  public record Listen(int device, ActorRef<ToListener> listener, long epoch) implements ForAudio {}

  /**
   * A one-way message: stop sending source {@code device}'s audio to {@code listener}. A station
   * sends it to the blade it listened to when its console route moves to another blade.
   */
  public record Unlisten(int device, ActorRef<ToListener> listener) implements ForAudio {}

  /**
   * A source takes the listener; its chunks are {@code format}. {@code silent}: why no chunks come
   * now (its command is not running), or null.
   */
  public record Listening(BladeId blade, int device, ResourceConfig.Audio format, String silent)
      implements OobMessage {}

  /** A source refused a station: its map (of {@code epoch}) routes the station elsewhere. */
  public record Refused(BladeId blade, String reason, long epoch) implements OobMessage {}

  /** What a listening station receives from a source. */
  public sealed interface ToListener extends RackshareSerializable {
    BladeId blade();
  }

  /** Captured PCM in the source's format, whole frames; {@code seq} counts the source's chunks. */
  public record Pcm(BladeId blade, int device, long seq, byte[] data) implements ToListener {}

  /** The source's command stopped (it is started again); no chunks come meanwhile. */
  public record Silent(BladeId blade, int device, String reason) implements ToListener {}
}
