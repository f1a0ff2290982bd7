package io.rackshare.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a real client program (qemu-io, nbdinfo, nbdsh, fio, ...) and captures what it printed. */
public final class Tool {
  private Tool() {}

  public record Result(List<String> command, int exit, String out) {
    /** Fails with everything the program printed unless it exited 0. */
    public Result ok() {
      if (exit != 0) throw new AssertionError(command + " exited " + exit + ":\n" + out);
      return this;
    }
  }

  public static Result run(Duration timeout, String... command) {
    return run(timeout, Map.of(), List.of(command));
  }

  public static Result run(Duration timeout, Map<String, String> env, List<String> command) {
    return run(timeout, env, command, null);
  }

  /** As above, in working directory {@code dir} (null: this process's). */
  public static Result run(Duration timeout, Map<String, String> env, List<String> command, Path dir) {
    try {
      Path out = Files.createTempFile("tool", ".out");
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
      if (dir != null) pb.directory(dir.toFile());
      // Debian's python3 (for nbdsh) must come before any other on the PATH.
      pb.environment().put("PATH", "/usr/bin:/bin:/usr/sbin:/sbin:" + System.getenv().getOrDefault("PATH", ""));
      pb.environment().putAll(env);
      Process p = pb.start();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(command + " did not finish within " + timeout + ":\n" + Files.readString(out));
      }
      String text = Files.readString(out, StandardCharsets.UTF_8);
      Files.delete(out);
      return new Result(new ArrayList<>(command), p.exitValue(), text);
    } catch (IOException e) {
      throw new AssertionError("cannot run " + command + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
