package io.rackshare.driver;

import io.rackshare.smm.OobMessage;
import io.rackshare.smm.SmmHandler.Responder;

/**
 * The protocol of resource drivers for block resources (disks now, RAM disks later): positional
 * I/O on one device. Requests reach a driver only after its blade verified them (0081-0082); the
 * driver answers through the {@link Responder} the OOB request came with.
 */
public final class BlockDriver {
  private BlockDriver() {}

  public sealed interface Command {}

  public record Read(long deviceOffset, int length, Responder responder) implements Command {}

  /** Writes {@code data}; with {@code fua} it is on stable storage before the answer. */
  public record Write(long deviceOffset, byte[] data, boolean fua, Responder responder)
      implements Command {}

  /** Writes {@code length} zero bytes; with {@code fua} they are on stable storage before the answer. */
  public record WriteZeroes(long deviceOffset, int length, boolean fua, Responder responder)
      implements Command {}

  /** Forces everything written so far to stable storage. */
  public record Flush(Responder responder) implements Command {}

  // ---- answers, sent back over the OOB channel ----

  public record Data(byte[] bytes) implements OobMessage {}

  public record Done() implements OobMessage {}

  /** The device failed the operation; {@code message} says how. */
  public record IoFailure(String message) implements OobMessage {}
}
