package io.rackshare.access;

import io.rackshare.map.BladeId;
import io.rackshare.smm.DataLane;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The manager's blade's side of manager-proxy routing (Figure 8b): takes a volume request a blade
 * sent it, routes it with the map here — the manager's — through this blade's {@link AccessPath},
 * and answers with the data or the error. A blade that does not run the manager (any more)
 * answers "wrong target", and the requester looks for the manager again.
 */
final class ProxyTarget {
  private static final Logger log = LoggerFactory.getLogger(ProxyTarget.class);

  private final BladeId self;
  private final Supplier<Optional<BladeId>> manager;
  private final AccessPath path;
  private final AtomicLong served = new AtomicLong();

  ProxyTarget(BladeId self, Supplier<Optional<BladeId>> manager, AccessPath path) {
    this.self = self;
    this.manager = manager;
    this.path = path;
  }

  /** Requests served for other blades (and this one) since start. */
  long served() {
    return served.get();
  }

  CompletableFuture<DataLane.Frame> handle(BladeId from, DataLane.Frame frame) {
    BlockFrames.ProxyRequest r;
    try {
      r = BlockFrames.decodeProxy(frame);
    } catch (IllegalArgumentException e) {
      log.warn("{}: malformed proxied request from {}: {}", self, from, e.getMessage());
      return CompletableFuture.completedFuture(BlockFrames.ioFailure("malformed request: " + e.getMessage()));
    }
    if (!manager.get().equals(Optional.of(self))) {
      return CompletableFuture.completedFuture(BlockFrames.wrongTarget(-1, self + " does not run the manager"));
    }
    served.incrementAndGet();
    CompletableFuture<DataLane.Frame> out = switch (r.op()) {
      case BlockFrames.READ -> path.read(r.volume(), r.offset(), (int) r.length()).thenApply(BlockFrames::data);
      case BlockFrames.WRITE -> {
        // The lane reuses a remote request's buffer once this returns.
        ByteBuffer data = from.equals(self) ? r.data()
            : ByteBuffer.allocate(r.data().remaining()).put(r.data().duplicate()).flip();
        yield path.write(r.volume(), r.offset(), data, r.fua()).thenApply(x -> BlockFrames.done());
      }
      case BlockFrames.ZERO -> path.writeZeroes(r.volume(), r.offset(), r.length(), r.fua())
          .thenApply(x -> BlockFrames.done());
      default -> path.flush(r.volume()).thenApply(x -> BlockFrames.done());
    };
    return out.exceptionally(t -> {
      Throwable c = BlockDeviceException.cause(t);
      return BlockFrames.failed(c instanceof BlockDeviceException e ? e
          : new BlockDeviceException(IoError.IO_ERROR, c.toString()));
    });
  }
}
