package io.rackshare.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.access.BlockDevice;
import io.rackshare.access.BlockDeviceException;
import io.rackshare.access.IoError;
import io.rackshare.management.BladeStatus;
import io.rackshare.map.DevicePath;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.Member;
import io.rackshare.testkit.TestBlades;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shared RAM (issue 16): blades share off-heap memory as {@code Memory(n)}, and volumes use it: a
 * raid1 of two blades' memory, a raid1 of a blade's memory and another's disk that reads from
 * memory (read-policy = primary, memory first: md's write-mostly), and a span of one blade's
 * memory alone. Status labels them volatile. A blade that restarts comes back with empty memory:
 * its members are rebuilt whole from their copies (the bytes read back after the restart prove
 * it; fresh memory reads as zeros), and a volume with no copy elsewhere is reported lost: reads
 * fail, never zeros; a span of the blade's non-volatile memory (a memory-mapped file) keeps its
 * bytes through the restart. Memory that the JVM cannot hold is a clear start-up error.
 */
class MemoryVolumeClusterTest {
  static final Duration T = Duration.ofSeconds(60);
  static final int MIB = 1 << 20;
  static final String DISK = "[{ file = disk0.img, size = 16MiB }]";
  static final String MEMORY = "rackshare.blade.memory = [{ size = 8MiB }, { size = 4MiB }]\n"
      + "rackshare.blade.nvram = [{ file = nvram0.img, size = 4MiB }]\n";

  @TempDir Path root;
  TestBlades blades;

  @AfterEach
  void stop() {
    if (blades != null) blades.close();
  }

  static <T> T await(java.util.concurrent.CompletionStage<T> s) throws Exception {
    return s.toCompletableFuture().get(T.toSeconds(), TimeUnit.SECONDS);
  }

  static String memory(int slot, int n) {
    return DevicePath.memory(new io.rackshare.map.BladeId(1, 1, slot), n).toString();
  }

  GlobalResourceDescriptor awaitVolume(String name, Predicate<GlobalResourceDescriptor> p, String what)
      throws Exception {
    long deadline = System.nanoTime() + T.toNanos();
    while (true) {
      GlobalResourceDescriptor v = blades.rackshare(1).localMap().volumes().get(name);
      if (v != null && p.test(v)) return v;
      assertTrue(System.nanoTime() < deadline, what + "; last: " + v);
      Thread.sleep(50); // polling blade 1's map: the rebuilds run on their own
    }
  }

  static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  @Test
  void memoryVolumesAreRebuiltAfterARestartAndAVolumeWithNoOtherCopyIsLostNotZeros() throws Exception {
    blades = new TestBlades(root, """
        rackshare.manager.offline-retry = 200ms
        rackshare.volumes = [
          { name = ram1, layout = raid1, members = ["%s", "%s"], options { read-policy = balanced } },
          { name = ramdisk, layout = raid1, members = ["%s", "Rack(1)/Chassis(1)/Blade(1)/Disk(0)"],
            options { read-policy = primary } },
          { name = ramonly, layout = span, members = ["%s"] },
          { name = nvonly, layout = span, members = ["Rack(1)/Chassis(1)/Blade(3)/Nvram(0)"] }
        ]
        """.formatted(memory(1, 0), memory(2, 0), memory(3, 0), memory(3, 1)));
    for (int slot = 1; slot <= 3; slot++) blades.start(slot, DISK, MEMORY);
    BlockDevice ram1 = await(blades.rackshare(1).awaitVolume("ram1", T));
    BlockDevice ramdisk = await(blades.rackshare(1).awaitVolume("ramdisk", T));
    BlockDevice ramonly = await(blades.rackshare(1).awaitVolume("ramonly", T));
    byte[] a = random(8 * MIB, 1);
    byte[] b = random(8 * MIB, 2);
    byte[] c = random(4 * MIB, 3);
    await(ram1.write(0, a, false));
    await(ramdisk.write(0, b, true));
    await(ramonly.write(0, c, false));
    BlockDevice nvonly = await(blades.rackshare(1).awaitVolume("nvonly", T));
    byte[] n = random(4 * MIB, 4);
    await(nvonly.write(0, n, true));
    assertArrayEquals(c, await(ramonly.read(0, 4 * MIB)));

    BladeStatus status = await(blades.rackshare(1).status());
    for (BladeStatus.Volume v : status.volumes()) {
      assertEquals(!v.name().equals("nvonly"), v.inMemory(), v.name() + " is labelled volatile, or not");
    }

    // Blade 2 restarts: its memory is empty, so ram1's copy there is rebuilt whole before it is read.
    Member before = blades.rackshare(1).localMap().volumes().get("ram1").member(1);
    assertTrue(before.incarnation() != null, "a memory member holds its allocation's content: " + before);
    blades.stop(2);
    blades.start(2, DISK, MEMORY);
    GlobalResourceDescriptor rebuilt = awaitVolume("ram1", v -> v.member(1).state() == Member.State.ACTIVE
        && !before.incarnation().equals(v.member(1).incarnation()), "ram1's copy on blade 2 rebuilt");
    assertTrue(rebuilt.member(1).since() > before.since(), "it went through a rebuild: " + rebuilt.member(1));
    blades.awaitMapEpoch(2, rebuilt.epoch());
    // Blade 2 reads its own copy (balanced reads prefer the reader's): the bytes came back.
    BlockDevice onTwo = await(blades.rackshare(2).awaitVolume("ram1", T));
    assertArrayEquals(a, await(onTwo.read(0, 8 * MIB)), "blade 2's memory holds ram1 again");

    // Blade 3 restarts: ramdisk's memory copy is rebuilt from the disk; ramonly had no other copy.
    String ramdiskBefore = blades.rackshare(1).localMap().volumes().get("ramdisk").member(0).incarnation();
    assertTrue(ramdiskBefore != null, "ramdisk's memory copy holds its allocation's content");
    blades.stop(3);
    blades.start(3, DISK, MEMORY);
    awaitVolume("ramdisk", v -> v.member(0).state() == Member.State.ACTIVE && v.member(0).incarnation() != null
        && !v.member(0).incarnation().equals(ramdiskBefore), "ramdisk's memory copy rebuilt from the disk");
    assertArrayEquals(b, await(ramdisk.read(0, 8 * MIB)), "read from memory again (primary), the same bytes");
    GlobalResourceDescriptor lost = awaitVolume("ramonly", v -> v.member(0).state() != Member.State.ACTIVE,
        "ramonly's only member known to be empty");
    assertEquals(Member.State.REBUILDING, lost.member(0).state(), "nothing to rebuild it from: " + lost);
    ExecutionException e = assertThrows(ExecutionException.class, () -> await(ramonly.read(0, 4096)));
    Throwable cause = e;
    while (cause != null && !(cause instanceof BlockDeviceException)) cause = cause.getCause();
    assertTrue(cause instanceof BlockDeviceException, "a block device's error: " + e);
    BlockDeviceException why = (BlockDeviceException) cause;
    assertEquals(IoError.VOLUME_FAILED, why.error(), why.getMessage());
    BladeStatus.Volume shown = await(blades.rackshare(1).status()).volumes().stream()
        .filter(v -> v.name().equals("ramonly")).findFirst().orElseThrow();
    assertEquals("FAILED", shown.health(), "ramonly is reported lost: " + shown);
    assertNotEquals(0, shown.detail().length());
    // Blade 3's non-volatile memory kept its bytes: nvonly serves them again.
    awaitVolume("nvonly", v -> v.member(0).state() == Member.State.ACTIVE, "nvonly back");
    assertArrayEquals(n, await(nvonly.read(0, 4 * MIB)), "non-volatile memory kept its bytes through the restart");
  }

  @Test
  void memoryTheJvmCannotHoldIsAClearStartUpError() {
    blades = new TestBlades(root, "");
    RuntimeException e = blades.startRefused(1, DISK, "rackshare.blade.memory = [{ size = 1TiB }]\n");
    String why = String.valueOf(e.getMessage()) + " " + e.getCause();
    assertTrue(why.contains("rackshare.blade.memory") && (why.contains("direct memory") || why.contains("host's memory")),
        why);
  }
}
