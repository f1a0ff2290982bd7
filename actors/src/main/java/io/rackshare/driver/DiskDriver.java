package io.rackshare.driver;

import io.rackshare.map.DevicePath;
import io.rackshare.map.ResourceConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;

/**
 * The resource driver of a disk (804): positional I/O on a file or block device. The blocking
 * calls run on the I/O executor, so many requests to one disk proceed in parallel; the actor only
 * checks and dispatches them.
 */
public final class DiskDriver {
  private DiskDriver() {}

  public static Behavior<BlockDriver.Command> create(
      DevicePath path, Path file, ResourceConfig.Block config, Executor io) {
    return Behaviors.setup(
        ctx -> {
          FileChannel channel =
              FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
          long size = config.sizeBytes();
          Logger log = ctx.getLog();
          log.debug("disk driver for {} on {} ({} bytes)", path, file, size);
          return Behaviors.receive(BlockDriver.Command.class)
              .onMessage(BlockDriver.Read.class, r -> {
                if (checkRange(path, size, r.deviceOffset(), r.length(), r.responder())) {
                  run(io, r.responder(), () -> new BlockDriver.Data(read(channel, r)));
                }
                return Behaviors.same();
              })
              .onMessage(BlockDriver.Write.class, w -> {
                if (checkRange(path, size, w.deviceOffset(), w.data().length, w.responder())) {
                  run(io, w.responder(), () -> {
                    write(channel, w);
                    return new BlockDriver.Done();
                  });
                }
                return Behaviors.same();
              })
              .onMessage(BlockDriver.WriteZeroes.class, z -> {
                if (checkRange(path, size, z.deviceOffset(), z.length(), z.responder())) {
                  run(io, z.responder(), () -> {
                    writeZeroes(channel, z);
                    return new BlockDriver.Done();
                  });
                }
                return Behaviors.same();
              })
              .onMessage(BlockDriver.Flush.class, f -> {
                run(io, f.responder(), () -> {
                  channel.force(false);
                  return new BlockDriver.Done();
                });
                return Behaviors.same();
              })
              .onSignal(PostStop.class, s -> {
                channel.close();
                return Behaviors.same();
              })
              .build();
        });
  }

  private static boolean checkRange(
      DevicePath path, long size, long offset, int length, io.rackshare.smm.SmmHandler.Responder r) {
    if (offset < 0 || length < 0 || offset + length > size) {
      r.reply(new BlockDriver.IoFailure(
          "range " + offset + "+" + length + " outside " + path + " (" + size + " bytes)"));
      return false;
    }
    return true;
  }

  private interface IoCall {
    io.rackshare.smm.OobMessage call() throws IOException;
  }

  private static void run(Executor io, io.rackshare.smm.SmmHandler.Responder r, IoCall call) {
    try {
      io.execute(() -> {
        io.rackshare.smm.OobMessage answer;
        try {
          answer = call.call();
        } catch (IOException | RuntimeException e) {
          answer = new BlockDriver.IoFailure(e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        r.reply(answer);
      });
    } catch (RejectedExecutionException e) {
      r.reply(new BlockDriver.IoFailure("I/O executor rejected the request: " + e.getMessage()));
    }
  }

  private static byte[] read(FileChannel ch, BlockDriver.Read r) throws IOException {
    byte[] out = new byte[r.length()];
    ByteBuffer buf = ByteBuffer.wrap(out);
    long pos = r.deviceOffset();
    while (buf.hasRemaining()) {
      int n = ch.read(buf, pos);
      if (n < 0) {
        // Past the end of a sparse file that was never written: the rest reads as zeros.
        break;
      }
      pos += n;
    }
    return out;
  }

  private static final ByteBuffer ZEROES = ByteBuffer.allocateDirect(1 << 20).asReadOnlyBuffer();

  private static void writeZeroes(FileChannel ch, BlockDriver.WriteZeroes z) throws IOException {
    long pos = z.deviceOffset();
    long end = pos + z.length();
    while (pos < end) {
      ByteBuffer buf = ZEROES.duplicate();
      buf.limit((int) Math.min(buf.capacity(), end - pos));
      while (buf.hasRemaining()) pos += ch.write(buf, pos);
    }
    if (z.fua()) ch.force(false);
  }

  private static void write(FileChannel ch, BlockDriver.Write w) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(w.data());
    long pos = w.deviceOffset();
    while (buf.hasRemaining()) pos += ch.write(buf, pos);
    if (w.fua()) ch.force(false);
  }
}
