package io.rackshare.access;

import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.smm.DataLane;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * The requester side's lowest layer: sends one block frame to the blade that holds its device
 * (or coordinates its stripe) on the OOB data lane, and judges the answer as an {@link Outcome}.
 * Device frames travel in the lane's {@link DataLane.Tier#DEVICE} tier, stripe frames in {@link
 * DataLane.Tier#COORDINATED} with the stripe time-out, so that a coordinator's own device
 * requests never queue behind the stripe requests that wait for them.
 *
 * <p>Threads: {@link #send} runs on the caller's thread and never blocks (the lane queues or
 * refuses at once); its future completes on the lane's reader thread, or on the block I/O
 * executor for this blade's own devices.
 */
final class LaneClient {

  private final DataLane lane;
  private final Duration stripeTimeout;

  LaneClient(DataLane lane, Duration stripeTimeout) {
    this.lane = lane;
    this.stripeTimeout = stripeTimeout;
  }

  /**
   * Sends {@code frame} to {@code target}. With {@code blame}, a lane failure or an I/O error
   * answer counts against {@code device}; otherwise the target reports its own failures and only
   * its silence counts against it.
   */
  CompletableFuture<Outcome> send(BladeId target, DevicePath device, DataLane.Frame frame, boolean blame) {
    boolean stripe = BlockFrames.isStripe(frame.type());
    CompletableFuture<DataLane.Frame> sent = stripe
        ? lane.request(target, frame, stripeTimeout, DataLane.Tier.COORDINATED) : lane.request(target, frame);
    return sent.handle((reply, failure) -> {
      if (failure != null) {
        BlockDeviceException e = mapFailure(failure);
        return e.error() == IoError.OVERLOADED || !blame ? new Outcome.Failed(e) : new Outcome.DeviceFailed(device, e);
      }
      return switch (reply.type()) {
        case BlockFrames.DATA, BlockFrames.DONE -> new Outcome.Ok(reply);
        case BlockFrames.WRONG_TARGET -> new Outcome.Wrong(BlockFrames.message(reply));
        default -> {
          BlockDeviceException e = new BlockDeviceException(IoError.IO_ERROR, target + ": " + BlockFrames.message(reply));
          // A coordinator reports its members' failures itself; what it answers is final.
          yield stripe ? new Outcome.Failed(BlockFrames.failure(reply)) : new Outcome.DeviceFailed(device, e);
        }
      };
    });
  }

  /** Gives back a reply's payload (it may be a pooled direct buffer) once its bytes are consumed. */
  void release(ByteBuffer payload) {
    lane.release(payload);
  }

  /** The block error a lane failure means to a client. */
  static BlockDeviceException mapFailure(Throwable t) {
    Throwable c = BlockDeviceException.cause(t);
    if (c instanceof BlockDeviceException b) return b;
    if (c instanceof DataLane.LaneException l) {
      IoError e = switch (l.failure()) {
        case TIMEOUT -> IoError.TIMEOUT;
        case OVERLOADED -> IoError.OVERLOADED;
        case UNREACHABLE -> IoError.UNREACHABLE;
        case NO_ROUTE -> IoError.TIMEOUT;
        case NO_HANDLER -> IoError.UNAVAILABLE;
      };
      return new BlockDeviceException(e, l.getMessage());
    }
    return new BlockDeviceException(IoError.IO_ERROR, c.toString());
  }
}
