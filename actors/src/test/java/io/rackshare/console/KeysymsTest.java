package io.rackshare.console;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** RFB key events (X11 keysyms) become what an xterm sends its program. */
class KeysymsTest {

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void textControlAltAndSpecialKeys() {
    Keysyms k = new Keysyms();
    assertArrayEquals(b("a"), k.key(true, 'a'));
    assertNull(k.key(false, 'a'), "releases send nothing");
    assertArrayEquals(b("\r"), k.key(true, 0xff0d));
    assertArrayEquals(b("\u001b[A"), k.key(true, 0xff52));
    assertArrayEquals(b("\u007f"), k.key(true, 0xff08));
    assertArrayEquals(b("é"), k.key(true, 0xe9));
    assertArrayEquals(b("€"), k.key(true, 0x010020ac));
    assertNull(k.key(true, 0xffe3), "Control alone sends nothing");
    assertArrayEquals(new byte[] {3}, k.key(true, 'c'), "Control+C");
    k.key(false, 0xffe3);
    assertArrayEquals(b("c"), k.key(true, 'c'));
    k.key(true, 0xffe9);
    assertArrayEquals(b("\u001bx"), k.key(true, 'x'), "Alt prefixes ESC");
    k.key(false, 0xffe9);
    assertArrayEquals(b("\u001bOP"), k.key(true, 0xffbe), "F1");
    assertNull(k.key(true, 0xfe50), "dead keys and unknown keysyms send nothing");
  }

  /** Found by ConsoleStationFuzzTest: a Unicode keysym past U+10FFFF ended the viewer's thread. */
  @Test
  void unicodeKeysymsThatAreNoCharacterSendNothing() {
    Keysyms k = new Keysyms();
    assertNull(k.key(true, 0x01feffff), "past U+10FFFF");
    assertNull(k.key(true, 0x0100d800), "a lone surrogate");
    assertArrayEquals(b("\uD83D\uDE00"), k.key(true, 0x0101f600), "U+1F600 is one");
  }
}
