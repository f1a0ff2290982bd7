package io.rackshare.node.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The newc writer against the format's rules, and against GNU cpio where it is installed. */
class CpioArchiveTest {

  static byte[] sample() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (CpioArchive a = new CpioArchive(out)) {
      a.directory("bin", 0755);
      a.file("bin/busybox", 0755, "12345".getBytes(StandardCharsets.US_ASCII));
      a.symlink("bin/sh", "busybox");
      a.file("init", 0755, new byte[0]);
    }
    return out.toByteArray();
  }

  @Test
  void headersNamesAndDataAreAlignedAndATrailerEnds() throws Exception {
    byte[] b = sample();
    String text = new String(b, StandardCharsets.ISO_8859_1);
    assertEquals(0, b.length % 4);
    int at = 0;
    List<String> names = new java.util.ArrayList<>();
    while (true) {
      assertEquals("070701", text.substring(at, at + 6), "magic at " + at);
      int mode = Integer.parseInt(text.substring(at + 14, at + 22), 16);
      int size = Integer.parseInt(text.substring(at + 54, at + 62), 16);
      int nameSize = Integer.parseInt(text.substring(at + 94, at + 102), 16);
      String name = text.substring(at + 110, at + 110 + nameSize - 1);
      assertEquals(0, b[at + 110 + nameSize - 1], "the name ends with NUL");
      names.add(name + ":" + Integer.toOctalString(mode) + ":" + size);
      int data = (at + 110 + nameSize + 3) & ~3;
      if (name.equals("TRAILER!!!")) break;
      at = (data + size + 3) & ~3;
    }
    assertEquals(List.of("bin:40755:0", "bin/busybox:100755:5", "bin/sh:120777:7", "init:100755:0", "TRAILER!!!:0:0"),
        names);
  }

  @Test
  void absoluteNamesAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new CpioArchive(new ByteArrayOutputStream()).file("/init", 0755,
        new byte[0]));
  }

  @Test
  void gnuCpioReadsIt(@TempDir Path dir) throws Exception {
    Assumptions.assumeTrue(GuestHost.onPath("cpio", System.getenv().getOrDefault("PATH", "")).isPresent(),
        "skipped: no cpio on the PATH");
    Path archive = dir.resolve("a.cpio");
    Files.write(archive, sample());
    Process p = new ProcessBuilder("cpio", "-idm", "--quiet", "-F", archive.toString()).directory(dir.toFile())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    assertEquals("12345", Files.readString(dir.resolve("bin/busybox")));
    assertEquals("busybox", Files.readSymbolicLink(dir.resolve("bin/sh")).toString());
    assertTrue(Files.isExecutable(dir.resolve("init")));
  }
}
