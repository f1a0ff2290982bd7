package io.rackshare.console;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * A blade's console devices (0096-0105): the configured console command runs under a
 * pseudo-terminal; its output is the video device, parsed into a {@link Screen}, and kept as a
 * timestamped log of the raw output (for "the last lines on attach" and replay, as conserver
 * does); the pseudo-terminal's input is the keyboard device. The program only ever sees its own
 * terminal; routing it elsewhere is the console router's business.
 *
 * <p>The pseudo-terminal comes from util-linux's {@code script}, which needs no native library in
 * the JVM: {@code script -qfec "stty cols C rows R; exec COMMAND" /dev/null}. When the command
 * exits the screen says so and it starts again after {@code restartDelay}, like a getty.
 */
public final class ConsoleDriver extends AbstractBehavior<ConsoleDriver.Command> {

  /**
   * The console driver's messages: keyboard input, screen and log queries, screen subscriptions,
   * and privately the pseudo-terminal's output, the command's exit and the restart timer. The
   * pseudo-terminal is read on a thread of its own, which only sends {@code Output} and {@code
   * Exited} here; the screen is parsed on the driver's actor.
   */
  public sealed interface Command {}

  /** Keyboard input: bytes as a terminal sends them (keys, escape sequences, mouse reports). */
  public record Keys(byte[] bytes) implements Command {}

  /** Answers with a copy of the screen. */
  public record GetScreen(ActorRef<ScreenImage> replyTo) implements Command {}

  /** {@code subscriber} hears of each change of the screen (at most one message per change burst). */
  public record Subscribe(ActorRef<Changed> subscriber) implements Command {}

  /** Answers with the raw output chunks of the log, oldest first. */
  public record GetLog(ActorRef<List<LogChunk>> replyTo) implements Command {}

  /** The screen changed; its version is now {@code version}. */
  public record Changed(long version) {}

  /** Output as it came from the program, with the time it came. */
  public record LogChunk(long epochMillis, byte[] bytes) {}

  /** A copy of the screen: code points and colours row by row, the cursor and the mouse mode. */
  public record ScreenImage(int columns, int rows, int[] chars, int[] foreground, int[] background, int[] attributes,
      int cursorRow, int cursorColumn, boolean cursorVisible, int mouseMode, boolean sgrMouse, long version) {

    /** Row {@code r} as text, trailing spaces removed. */
    public String line(int r) {
      StringBuilder b = new StringBuilder();
      for (int c = 0; c < columns; c++) b.appendCodePoint(chars[r * columns + c]);
      return b.toString().stripTrailing();
    }

    public String text() {
      StringBuilder b = new StringBuilder();
      for (int r = 0; r < rows; r++) b.append(line(r)).append('\n');
      return b.toString();
    }
  }

  /** {@code command}: the console program and its arguments; {@code logBytes}: raw output kept. */
  public record Settings(List<String> command, int columns, int rows, int logBytes, Duration restartDelay,
      java.util.Map<String, String> environment) {
    public Settings {
      if (command.isEmpty()) throw new IllegalArgumentException("rackshare.console.command is empty");
      command = List.copyOf(command);
      environment = java.util.Map.copyOf(environment);
    }

    public Settings(List<String> command, int columns, int rows, int logBytes, Duration restartDelay) {
      this(command, columns, rows, logBytes, restartDelay, java.util.Map.of());
    }
  }

  private record Output(long generation, byte[] bytes) implements Command {}

  private record Exited(long generation, int code) implements Command {}

  private enum Restart implements Command { INSTANCE }

  public static Behavior<Command> create(Settings settings) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new ConsoleDriver(ctx, timers, settings)));
  }

  private final TimerScheduler<Command> timers;
  private final Settings settings;
  private final Screen screen;
  private final Deque<LogChunk> log = new ArrayDeque<>();
  private final List<ActorRef<Changed>> subscribers = new ArrayList<>();
  private long logged;
  private Process process;
  private OutputStream keyboard;
  private long generation;

  private ConsoleDriver(ActorContext<Command> ctx, TimerScheduler<Command> timers, Settings settings) {
    super(ctx);
    this.timers = timers;
    this.settings = settings;
    this.screen = new Screen(settings.columns(), settings.rows());
    start();
  }

  /** The shell command line that gives {@code command} a terminal of the screen's size. */
  static List<String> wrapped(Settings s) {
    String inner = "stty cols " + s.columns() + " rows " + s.rows() + "; exec "
        + s.command().stream().map(ConsoleDriver::shellQuote).collect(Collectors.joining(" "));
    return List.of("script", "-qfec", inner, "/dev/null");
  }

  static String shellQuote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  private void start() {
    long gen = ++generation;
    ActorRef<Command> self = getContext().getSelf();
    try {
      ProcessBuilder pb = new ProcessBuilder(wrapped(settings)).redirectErrorStream(true);
      pb.environment().put("TERM", "xterm");
      pb.environment().putAll(settings.environment());
      process = pb.start();
    } catch (IOException e) {
      show("[rackshare: cannot start the console command " + settings.command() + ": " + e.getMessage() + "]");
      timers.startSingleTimer(Restart.INSTANCE, settings.restartDelay());
      return;
    }
    keyboard = process.getOutputStream();
    InputStream video = process.getInputStream();
    Process p = process;
    Thread reader = new Thread(() -> {
      byte[] buf = new byte[8192];
      try {
        int n;
        while ((n = video.read(buf)) > 0) self.tell(new Output(gen, java.util.Arrays.copyOf(buf, n)));
      } catch (IOException e) {
        // the process went away; its exit is reported below
      }
      try {
        self.tell(new Exited(gen, p.waitFor()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "rackshare-console-" + getContext().getSelf().path().name());
    reader.setDaemon(true);
    reader.start();
    getContext().getLog().info("console command {} runs in a {}x{} terminal", settings.command(),
        settings.columns(), settings.rows());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Output.class, o -> {
          if (o.generation() == generation) output(o.bytes());
          return this;
        })
        .onMessage(Exited.class, this::onExited)
        .onMessage(Restart.class, r -> {
          start();
          return this;
        })
        .onMessage(Keys.class, this::onKeys)
        .onMessage(GetScreen.class, g -> {
          g.replyTo().tell(image());
          return this;
        })
        .onMessage(Subscribe.class, s -> {
          subscribers.add(s.subscriber());
          getContext().watchWith(s.subscriber(), new Unsubscribe(s.subscriber()));
          s.subscriber().tell(new Changed(screen.version()));
          return this;
        })
        .onMessage(Unsubscribe.class, u -> {
          subscribers.remove(u.subscriber());
          return this;
        })
        .onMessage(GetLog.class, g -> {
          g.replyTo().tell(List.copyOf(log));
          return this;
        })
        .onSignal(PostStop.class, s -> {
          if (process != null) process.descendants().forEach(ProcessHandle::destroy);
          if (process != null) process.destroy();
          return this;
        })
        .build();
  }

  private record Unsubscribe(ActorRef<Changed> subscriber) implements Command {}

  private void output(byte[] bytes) {
    long before = screen.version();
    screen.feed(bytes, 0, bytes.length);
    log.addLast(new LogChunk(System.currentTimeMillis(), bytes));
    logged += bytes.length;
    while (logged > settings.logBytes() && log.size() > 1) logged -= log.removeFirst().bytes().length;
    if (screen.version() != before) {
      Changed c = new Changed(screen.version());
      subscribers.forEach(s -> s.tell(c));
    }
  }

  private void show(String message) {
    output(("\r\n" + message + "\r\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private Behavior<Command> onExited(Exited e) {
    if (e.generation() != generation) return this;
    show("[rackshare: the console command exited with " + e.code() + "; starting it again]");
    getContext().getLog().info("console command exited with {}; starting it again in {}", e.code(),
        settings.restartDelay());
    process = null;
    keyboard = null;
    timers.startSingleTimer(Restart.INSTANCE, settings.restartDelay());
    return this;
  }

  private Behavior<Command> onKeys(Keys k) {
    if (keyboard == null) return this;
    try {
      keyboard.write(k.bytes());
      keyboard.flush();
    } catch (IOException e) {
      getContext().getLog().warn("console keyboard: {}", e.toString());
    }
    return this;
  }

  private ScreenImage image() {
    int n = screen.columns() * screen.rows();
    int[] chars = new int[n];
    int[] fg = new int[n];
    int[] bg = new int[n];
    int[] attrs = new int[n];
    for (int r = 0; r < screen.rows(); r++) {
      for (int c = 0; c < screen.columns(); c++) {
        int i = r * screen.columns() + c;
        chars[i] = screen.charAt(r, c);
        fg[i] = screen.foreground(r, c);
        bg[i] = screen.background(r, c);
        attrs[i] = screen.attributes(r, c);
      }
    }
    return new ScreenImage(screen.columns(), screen.rows(), chars, fg, bg, attrs, screen.cursorRow(),
        screen.cursorColumn(), screen.cursorVisible(), screen.mouseMode(), screen.sgrMouse(), screen.version());
  }
}
