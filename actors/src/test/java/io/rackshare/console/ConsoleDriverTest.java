package io.rackshare.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A real bash in a real pseudo-terminal: typed keys reach it, its output lands on the screen at
 * the places a full-screen program puts it, the raw output is logged, and a command that exits is
 * started again.
 */
class ConsoleDriverTest {

  static final ActorTestKit kit = ActorTestKit.create();

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  static ActorRef<ConsoleDriver.Command> console(List<String> command) {
    return kit.spawn(ConsoleDriver.create(new ConsoleDriver.Settings(command, 80, 25, 64 * 1024,
        Duration.ofMillis(200))));
  }

  static ConsoleDriver.ScreenImage screen(ActorRef<ConsoleDriver.Command> c) {
    TestProbe<ConsoleDriver.ScreenImage> p = kit.createTestProbe();
    c.tell(new ConsoleDriver.GetScreen(p.ref()));
    return p.receiveMessage();
  }

  static void type(ActorRef<ConsoleDriver.Command> c, String keys) {
    c.tell(new ConsoleDriver.Keys(keys.getBytes(StandardCharsets.UTF_8)));
  }

  static void awaitScreen(ActorRef<ConsoleDriver.Command> c, String what, java.util.function.Predicate<ConsoleDriver.ScreenImage> p) {
    TestProbe<Object> probe = kit.createTestProbe();
    probe.awaitAssert(Duration.ofSeconds(20), Duration.ofMillis(50), () -> {
      ConsoleDriver.ScreenImage s = screen(c);
      assertTrue(p.test(s), what + "; screen:\n" + s.text());
      return null;
    });
  }

  @Test
  void typedCommandsRunInAShellAndTheScreenShowsTheirOutput() {
    ActorRef<ConsoleDriver.Command> c = console(List.of("bash", "--norc", "--noprofile", "-i"));
    TestProbe<ConsoleDriver.Changed> changes = kit.createTestProbe();
    c.tell(new ConsoleDriver.Subscribe(changes.ref()));
    changes.receiveMessage();
    type(c, "stty size; echo $((6*7))\r");
    awaitScreen(c, "the shell's answer", s -> s.text().contains("\n25 80\n") && s.text().contains("\n42\n"));
    assertTrue(changes.receiveMessage().version() > 0, "subscribers hear of changes");
    // A full-screen placement through the terminal's own capabilities.
    type(c, "clear; tput cup 10 20; echo HERE; tput cup 20 0\r");
    awaitScreen(c, "HERE at row 10, column 20", s -> s.line(10).equals(" ".repeat(20) + "HERE"));
    TestProbe<List<ConsoleDriver.LogChunk>> log = kit.createTestProbe();
    c.tell(new ConsoleDriver.GetLog(log.ref()));
    String raw = String.join("", log.receiveMessage().stream()
        .map(l -> new String(l.bytes(), StandardCharsets.UTF_8)).toList());
    assertTrue(raw.contains("42") && raw.contains("HERE"), "the raw output is logged: " + raw);
  }

  @Test
  void aConsoleCommandThatExitsIsStartedAgain() {
    ActorRef<ConsoleDriver.Command> c = console(List.of("bash", "--norc", "--noprofile", "-i"));
    type(c, "exit 3\r");
    awaitScreen(c, "the exit is shown, then a new shell's prompt", s -> s.text().contains("exited with 3")
        && s.text().substring(s.text().indexOf("exited with 3")).contains("bash"));
    type(c, "echo again-$((1+1))\r");
    awaitScreen(c, "the new shell answers", s -> s.text().contains("again-2\n"));
    assertEquals(80, screen(c).columns());
  }
}
