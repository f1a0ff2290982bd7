package io.rackshare.media;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.access.BlockDevice;
import io.rackshare.access.BlockDeviceException;
import io.rackshare.access.IoError;
import io.rackshare.management.BladeStatus;
import io.rackshare.testkit.TestBlades;
import io.rackshare.testkit.Tool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Removable media (issue 16): blade 2 has two drives, {@code cd0} with an image in it and {@code
 * cd1} empty. Every blade exports the medium read-only (the NBD read-only flag, as nbdinfo sees
 * it); a client that writes anyway gets EPERM, and nbdcopy reads the image's bytes, zeros after
 * its end up to the whole block. An operator ejects and inserts media at run time, through any
 * blade: the NBD clients of an ejected or changed medium are disconnected, a device opened on one
 * medium never reads another, and images outside the drive's media directory are refused.
 */
class MediaClusterTest {
  static final Duration T = Duration.ofSeconds(60);
  static final String DRIVE = "Rack(1)/Chassis(1)/Blade(2)/Media(0)";
  static final int ONE = 3 * 1024 * 1024 + 100; // not a whole number of 2 KiB blocks
  static final int TWO = 1024 * 1024;

  @TempDir static Path root;
  static TestBlades blades;
  static byte[] one;
  static byte[] two;

  @BeforeAll
  static void start() throws Exception {
    blades = new TestBlades(root, "rackshare.nbd { enabled = on, port = 0 }\n");
    Path media = blades.dataDir(2).resolve("media");
    Files.createDirectories(media);
    one = random(ONE, 1);
    two = random(TWO, 2);
    Files.write(media.resolve("one.img"), one);
    Files.write(media.resolve("two.img"), two);
    Files.writeString(blades.dataDir(2).resolve("secret.txt"), "not for export");
    Files.createSymbolicLink(media.resolve("escape.img"), blades.dataDir(2).resolve("secret.txt"));
    blades.start(1, "[]");
    blades.start(2, "[]", "rackshare.blade.media = [{ name = cd0, image = one.img }, { name = cd1 }]");
    blades.start(3, "[]", "rackshare.management { enabled = on, port = 0 }");
  }

  @AfterAll
  static void stop() {
    blades.close();
  }

  /** Every test starts with one.img in cd0, seen by every blade. */
  @BeforeEach
  void oneInserted() throws Exception {
    await(blades.rackshare(3).changeMedium("cd0", "one.img"));
    for (int slot = 1; slot <= 3; slot++) await(blades.rackshare(slot).awaitVolume("cd0", T));
  }

  static <X> X await(CompletionStage<X> s) throws Exception {
    return s.toCompletableFuture().get(T.toSeconds(), TimeUnit.SECONDS);
  }

  static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  static String uri(int slot, String export) {
    return "nbd://127.0.0.1:" + blades.rackshare(slot).nbdServer().orElseThrow().tcpAddress().getPort() + "/" + export;
  }

  /** {@code image} as the drive serves it: whole 2 KiB blocks, zeros after the file's end. */
  static byte[] padded(byte[] image) {
    return Arrays.copyOf(image, (image.length + 2047) / 2048 * 2048);
  }

  static byte[] copied(int slot, String export) throws Exception {
    Path out = root.resolve("copy-" + slot + "-" + System.nanoTime() + ".img");
    Tool.run(T, "nbdcopy", uri(slot, export), out.toString()).ok();
    byte[] b = Files.readAllBytes(out);
    Files.delete(out);
    return b;
  }

  @Test
  void everyBladeExportsTheMediumReadOnlyAndAWriteGetsEperm() throws Exception {
    for (int slot = 1; slot <= 3; slot++) {
      String info = Tool.run(T, "nbdinfo", "--json", uri(slot, "cd0")).ok().out();
      assertTrue(info.replace(" ", "").contains("\"is_read_only\":true"), "read-only on blade " + slot + ": " + info);
      assertTrue(info.replace(" ", "").contains("\"export-size\":" + padded(one).length), info);
      assertArrayEquals(padded(one), copied(slot, "cd0"), "the image's bytes through blade " + slot);
    }
    // A client that writes anyway (libnbd's own checks off) gets EPERM from the server, for a write,
    // a trim and write-zeroes alike; the medium is unchanged.
    String out = Tool.run(T, "/usr/bin/python3", "-c", """
        import nbd, sys
        h = nbd.NBD()
        h.set_strict_mode(0)
        h.connect_uri(sys.argv[1])
        for name, op in [("write", lambda: h.pwrite(b"x" * 4096, 0)), ("trim", lambda: h.trim(4096, 0)),
                         ("zero", lambda: h.zero(4096, 0))]:
            try:
                op()
                print(name, "accepted")
            except nbd.Error as e:
                print(name, "errno", e.errno)
        print("read", h.pread(16, 0).hex())
        """, uri(1, "cd0")).ok().out();
    for (String op : new String[] {"write", "trim", "zero"}) {
      assertTrue(out.contains(op + " errno EPERM\n"), op + " refused with EPERM: " + out);
    }
    assertTrue(out.contains("read " + java.util.HexFormat.of().formatHex(one, 0, 16)), out);
    // The Java API says so too.
    BlockDevice cd = await(blades.rackshare(3).awaitVolume("cd0", T));
    assertTrue(cd.readOnly());
    ExecutionException e = assertThrows(ExecutionException.class, () -> await(cd.write(0, new byte[2048], true)));
    assertEquals(IoError.READ_ONLY, ((BlockDeviceException) e.getCause()).error());
    assertArrayEquals(padded(one), copied(2, "cd0"));

    // Status shows what is in which drive.
    BladeStatus status = await(blades.rackshare(1).status());
    String resources = status.bladeDetails().toString();
    assertTrue(resources.contains(DRIVE + " (removable media, volume cd0: one.img inserted, " + padded(one).length
        + " bytes, read-only)"), resources);
    assertTrue(resources.contains("Rack(1)/Chassis(1)/Blade(2)/Media(1) (removable media, volume cd1: empty)"),
        resources);
    assertTrue(blades.rackshare(1).localMap().volume("cd1").isEmpty(), "an empty drive exports nothing");
  }

  @Test
  void anEjectDisconnectsItsClientsAndAnInsertReplacesTheMedium() throws Exception {
    Process client = reader(uri(1, "cd0"));
    try {
      awaitClients(1, "cd0", 1);
      await(blades.rackshare(3).changeMedium(DRIVE, null));
      assertTrue(blades.rackshare(3).localMap().volume("cd0").isEmpty(), "ejected, as the asking blade's map shows");
      assertTrue(client.waitFor(T.toSeconds(), TimeUnit.SECONDS), "the client was disconnected");
      String said = new String(client.getInputStream().readAllBytes());
      assertTrue(said.startsWith("connected\n") && said.contains("closed:"), said);
    } finally {
      client.destroyForcibly();
    }
    awaitClients(1, "cd0", 0);
    Tool.Result gone = Tool.run(T, "nbdinfo", uri(2, "cd0"));
    assertTrue(gone.exit() != 0, "no export while the drive is empty: " + gone.out());

    await(blades.rackshare(1).changeMedium("cd0", "two.img"));
    for (int slot = 1; slot <= 3; slot++) {
      await(blades.rackshare(slot).awaitVolume("cd0", T));
      assertArrayEquals(padded(two), copied(slot, "cd0"), "the new medium through blade " + slot);
    }

    // A medium changed under a connected client: it is disconnected too.
    Process again = reader(uri(3, "cd0"));
    try {
      awaitClients(3, "cd0", 1);
      await(blades.rackshare(2).changeMedium("cd0", "one.img"));
      assertTrue(again.waitFor(T.toSeconds(), TimeUnit.SECONDS), "the client of the old medium was disconnected");
    } finally {
      again.destroyForcibly();
    }
  }

  @Test
  void aDeviceOpenedOnOneMediumNeverReadsAnother() throws Exception {
    BlockDevice cd = await(blades.rackshare(1).awaitVolume("cd0", T));
    assertArrayEquals(Arrays.copyOf(one, 4096), await(cd.read(0, 4096)));
    await(blades.rackshare(3).changeMedium("cd0", "two.img"));
    blades.kit(1).createTestProbe().awaitAssert(T, Duration.ofMillis(50), () -> {
      assertEquals(padded(two).length, blades.rackshare(1).localMap().volume("cd0").orElseThrow().sizeBytes());
      return null;
    });
    ExecutionException e = assertThrows(ExecutionException.class, () -> await(cd.read(0, 4096)));
    assertEquals(IoError.MEDIUM_CHANGED, ((BlockDeviceException) e.getCause()).error(), e.getCause().getMessage());
    // Opened again, the device reads the new medium.
    BlockDevice now = await(blades.rackshare(1).awaitVolume("cd0", T));
    assertArrayEquals(Arrays.copyOf(two, 4096), await(now.read(0, 4096)));
  }

  @Test
  void imagesOutsideTheMediaDirectoryAndUnknownDrivesAreRefused() throws Exception {
    for (String image : new String[] {"../secret.txt", blades.dataDir(2).resolve("secret.txt").toString(),
        "escape.img", "missing.iso"}) {
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> await(blades.rackshare(1).changeMedium("cd0", image)), image);
      assertTrue(e.getCause() instanceof IllegalArgumentException, image + ": " + e.getCause());
      String why = e.getCause().getMessage();
      assertTrue(why.contains("no image") || why.contains("outside the media directory"), image + ": " + why);
    }
    assertArrayEquals(padded(one), copied(1, "cd0"), "the medium stayed");
    ExecutionException unknown = assertThrows(ExecutionException.class,
        () -> await(blades.rackshare(1).changeMedium("nope", "one.img")));
    assertTrue(unknown.getCause().getMessage().contains("no removable-media drive 'nope'"),
        unknown.getCause().getMessage());
    ExecutionException removal = assertThrows(ExecutionException.class,
        () -> await(blades.rackshare(1).removeVolume("cd0", true, T)));
    assertTrue(removal.getCause().getMessage().contains("eject it instead"), removal.getCause().getMessage());
    assertFalse(blades.rackshare(1).localMap().volume("cd0").isEmpty());
  }

  @Test
  void theManagementEndpointInsertsAndEjectsOnlyWithTheOperatorToken() throws Exception {
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    String url = blades.rackshare(3).managementUrl().orElseThrow();
    String token = blades.rackshare(3).operatorToken().orElseThrow().value();
    java.net.http.HttpRequest.Builder eject = java.net.http.HttpRequest.newBuilder(
        java.net.URI.create(url + "/media/eject?drive=cd0")).POST(java.net.http.HttpRequest.BodyPublishers.noBody());
    assertEquals(401, http.send(eject.build(), java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode());
    assertTrue(blades.rackshare(3).localMap().volume("cd0").isPresent(), "nothing ejected without the token");
    var ejected = http.send(eject.header("Authorization", "Bearer " + token).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(200, ejected.statusCode(), ejected.body());
    assertTrue(blades.rackshare(3).localMap().volume("cd0").isEmpty(), "ejected");
    var inserted = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + "/media/insert?drive="
            + java.net.URLEncoder.encode(DRIVE, java.nio.charset.StandardCharsets.UTF_8) + "&image=two.img"))
        .header("Authorization", "Bearer " + token).POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(200, inserted.statusCode(), inserted.body());
    String body = inserted.body().replaceAll("\\s", "");
    assertTrue(body.contains("\"image\":\"two.img\"") && body.contains("\"size\":" + TWO), body);
    assertArrayEquals(padded(two), copied(3, "cd0"));
  }

  /** An NBD client that reads the export's first block every 50 ms until its connection fails. */
  static Process reader(String uri) throws Exception {
    return new ProcessBuilder("/usr/bin/python3", "-c", """
        import nbd, sys, time
        h = nbd.NBD()
        h.connect_uri(sys.argv[1])
        print("connected", flush=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                h.pread(2048, 0)
            except nbd.Error as e:
                print("closed:", e, flush=True)
                sys.exit(0)
            time.sleep(0.05)
        print("still connected", flush=True)
        sys.exit(1)
        """, uri).redirectErrorStream(true).start();
  }

  static void awaitClients(int slot, String export, int n) {
    blades.kit(slot).createTestProbe().awaitAssert(T, Duration.ofMillis(50), () -> {
      assertEquals(n, blades.rackshare(slot).nbdServer().orElseThrow().clientsOf(export), "clients of " + export);
      return null;
    });
  }
}
