package io.rackshare.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.testkit.Tool;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The console's screen model, fed hand-written sequences and sequences from ncurses' own {@code
 * tput} for an xterm, as full-screen programs send them.
 */
class ScreenTest {

  /** What {@code tput -T xterm <capability...>} prints. */
  static String tput(String... capability) {
    String[] cmd = new String[capability.length + 3];
    cmd[0] = "tput";
    cmd[1] = "-T";
    cmd[2] = "xterm";
    System.arraycopy(capability, 0, cmd, 3, capability.length);
    return Tool.run(Duration.ofSeconds(10), cmd).ok().out();
  }

  @Test
  void textWrapsAndScrolls() {
    Screen s = new Screen(10, 3);
    s.feed("hello\r\nworld, this wraps\r\nend");
    assertEquals("world, thi\ns wraps\nend\n", s.text(), "the first line scrolled away");
    assertEquals(2, s.cursorRow());
    assertEquals(3, s.cursorColumn());
  }

  @Test
  void theLastColumnWrapsOnlyWhenTheNextCharacterComes() {
    Screen s = new Screen(5, 2);
    s.feed("abcde");
    assertEquals(0, s.cursorRow(), "the cursor waits at the margin");
    s.feed("\r\nx");
    assertEquals("abcde\nx\n", s.text(), "CR LF at the margin is one new line, not two");
  }

  @Test
  void cursorAddressingAndClearingFromNcurses() {
    Screen s = new Screen(80, 25);
    s.feed("junk everywhere\r\nmore junk");
    s.feed(tput("clear"));
    assertEquals("\n".repeat(25), s.text());
    s.feed(tput("cup", "5", "10") + "X");
    assertEquals(" ".repeat(10) + "X", s.line(5));
    s.feed(tput("cup", "5", "0") + tput("el"));
    assertEquals("", s.line(5), "erase to end of line");
    s.feed(tput("cup", "24", "79") + "Z");
    assertEquals('Z', s.charAt(24, 79));
  }

  @Test
  void coloursAndAttributesFromNcurses() {
    Screen s = new Screen(20, 2);
    s.feed(tput("setaf", "1") + tput("bold") + "R" + tput("sgr0") + "n" + tput("setab", "4") + "b" + tput("rev") + "v");
    assertEquals(1, s.foreground(0, 0));
    assertTrue((s.attributes(0, 0) & Screen.BOLD) != 0);
    assertEquals(Screen.DEFAULT, s.foreground(0, 1));
    assertEquals(0, s.attributes(0, 1));
    assertEquals(4, s.background(0, 2));
    assertTrue((s.attributes(0, 3) & Screen.REVERSE) != 0);
  }

  @Test
  void scrollRegionsInsertAndDeleteLinesLikeAPager() {
    Screen s = new Screen(10, 5);
    for (int i = 0; i < 5; i++) s.feed((i == 0 ? "" : "\r\n") + "line" + i);
    s.feed(tput("csr", "1", "3"));
    s.feed(tput("cup", "3", "0") + "\n");
    assertEquals("line0\nline2\nline3\n\nline4\n", s.text(), "only the region scrolled");
    s.feed(tput("cup", "1", "0") + tput("il1"));
    assertEquals("line0\n\nline2\nline3\nline4\n", s.text(), "inserted a line, the region's last fell out");
    s.feed(tput("dl1"));
    assertEquals("line0\nline2\nline3\n\nline4\n", s.text());
  }

  @Test
  void theAlternateScreenKeepsTheShellsScreen() {
    Screen s = new Screen(20, 3);
    s.feed("$ vi file");
    s.feed(tput("smcup"));
    assertTrue(s.alternateScreen());
    assertEquals("\n\n\n", s.text(), "a clear screen for the program");
    s.feed(tput("home") + "editor text");
    assertEquals("editor text", s.line(0));
    s.feed(tput("rmcup"));
    assertEquals("$ vi file", s.line(0));
    assertEquals(9, s.cursorColumn(), "the cursor is back where it was");
  }

  @Test
  void insertDeleteAndEraseCharacters() {
    Screen s = new Screen(10, 1);
    s.feed("abcdef\r");
    s.feed("\u001b[2C\u001b[2@XY");
    assertEquals("abXYcdef", s.line(0));
    s.feed("\r\u001b[3P");
    assertEquals("Ycdef", s.line(0));
    s.feed("\u001b[2X");
    assertEquals("  def", s.line(0));
  }

  @Test
  void mouseReportingAndCursorVisibilityModes() {
    Screen s = new Screen(10, 2);
    s.feed("\u001b[?1000h\u001b[?1006h\u001b[?25l");
    assertEquals(1000, s.mouseMode());
    assertTrue(s.sgrMouse());
    assertTrue(!s.cursorVisible());
    s.feed("\u001b[?1000l\u001b[?25h");
    assertEquals(0, s.mouseMode());
    assertTrue(s.cursorVisible());
  }

  @Test
  void utf8SplitAcrossReadsAndTitlesIgnored() {
    Screen s = new Screen(10, 1);
    byte[] b = "\u001b]0;a title\u0007é€x".getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < b.length; i++) s.feed(b, i, 1);
    assertEquals("é€x", s.line(0));
  }

  @Test
  void garbageNeitherThrowsNorEscapesTheGrid() {
    Screen s = new Screen(4, 2);
    s.feed("\u001b[99999;99999H\u001b[-5A\u001b[;;;m\u001b[?9999h\u001b[200P\u001b[200@\u001b[50L\u001b[50M\u001b[0;0r!");
    s.feed(new byte[] {(byte) 0xff, (byte) 0xc3, 'a'}, 0, 3);
    assertTrue(s.cursorRow() < 2 && s.cursorColumn() < 4);
    assertTrue(s.text().contains("!"), s.text());
    assertThrows(IllegalArgumentException.class, () -> new Screen(0, 25));
  }

  @Test
  void everyChangeMovesTheVersion() {
    Screen s = new Screen(10, 2);
    long v = s.version();
    s.feed("a");
    assertTrue(s.version() > v);
    long w = s.version();
    s.feed("\u001b]2;title only\u0007");
    assertEquals(w, s.version(), "a title alone changes no cell");
  }
}
