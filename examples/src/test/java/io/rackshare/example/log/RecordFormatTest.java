package io.rackshare.example.log;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The on-disk format and recovery: a torn or corrupt record ends the log there, and nothing before it is lost. */
class RecordFormatTest {

  static final Duration T = Duration.ofSeconds(5);

  /** Records 0..n-1 with payloads of varied sizes (some spanning several blocks), written one after the other. */
  static List<Long> writeRecords(MemoryVolume volume, int n) {
    Random random = new Random(n);
    List<Long> offsets = new ArrayList<>();
    long at = 0;
    for (int seq = 0; seq < n; seq++) {
      byte[] payload = new byte[1 + random.nextInt(10_000)];
      random.nextBytes(payload);
      byte[] encoded = RecordFormat.encode(new LogRecord(seq, payload));
      volume.write(at, ByteBuffer.wrap(encoded), true);
      offsets.add(at);
      at += encoded.length;
    }
    offsets.add(at);
    return offsets;
  }

  static LogIndex recover(MemoryVolume volume) throws Exception {
    return new LogRecovery(volume, T).recover();
  }

  @Test
  void aRecordIsPaddedToBlocksAndReadsBack() {
    byte[] payload = "hello".getBytes();
    byte[] encoded = RecordFormat.encode(new LogRecord(7, payload));
    assertEquals(4096, encoded.length);
    assertEquals(8192, RecordFormat.size(4096 - RecordFormat.HEADER + 1));
    assertEquals(new LogRecord(7, payload), RecordFormat.decode(ByteBuffer.wrap(encoded), 0, 7).orElseThrow());
    assertTrue(RecordFormat.decode(ByteBuffer.wrap(encoded), 0, 8).isEmpty(), "another sequence number is not it");
    assertThrows(IllegalArgumentException.class, () -> RecordFormat.encode(new LogRecord(0, new byte[0])));
  }

  @Test
  void recoveryFindsEveryRecordOfAnIntactLog() throws Exception {
    MemoryVolume volume = new MemoryVolume(4 << 20);
    assertEquals(0, recover(volume).count(), "an empty volume holds an empty log");
    List<Long> offsets = writeRecords(volume, 200);
    LogIndex index = recover(volume);
    assertEquals(200, index.count());
    assertEquals(offsets.get(200), index.end());
    for (int seq = 0; seq <= 200; seq++) assertEquals(offsets.get(seq), index.offset(seq));
  }

  @Test
  void aTornRecordEndsTheLogAndNothingBeforeItIsLost() throws Exception {
    MemoryVolume volume = new MemoryVolume(4 << 20);
    List<Long> offsets = writeRecords(volume, 50);
    byte[] before = volume.bytes().clone();
    // Record 30 spans several blocks; only its first block reached the volume.
    byte[] big = new byte[3 * 4096];
    new Random(1).nextBytes(big);
    byte[] encoded = RecordFormat.encode(new LogRecord(50, big));
    volume.write(offsets.get(50), ByteBuffer.wrap(encoded, 0, 4096), true);
    LogIndex index = recover(volume);
    assertEquals(50, index.count(), "the torn record 50 is not part of the log");
    assertEquals(offsets.get(50), index.end(), "the next append overwrites it");
    for (int seq = 0; seq < 50; seq++) {
      int at = offsets.get(seq).intValue();
      assertTrue(RecordFormat.decode(ByteBuffer.wrap(before), at, seq).isPresent());
      assertEquals(RecordFormat.decode(ByteBuffer.wrap(before), at, seq),
          RecordFormat.decode(ByteBuffer.wrap(volume.bytes()), (int) index.offset(seq), seq));
    }
  }

  @Test
  void aCorruptRecordEndsTheLogThereEvenWithValidRecordsAfterIt() throws Exception {
    MemoryVolume volume = new MemoryVolume(4 << 20);
    List<Long> offsets = writeRecords(volume, 40);
    volume.bytes()[(int) (offsets.get(17) + RecordFormat.HEADER + 3)] ^= 1; // one bit of record 17's payload
    LogIndex index = recover(volume);
    assertEquals(17, index.count());
    assertEquals(offsets.get(17), index.end());
    byte[] payload = RecordFormat.decode(ByteBuffer.wrap(volume.bytes()), offsets.get(16).intValue(), 16)
        .orElseThrow().payload();
    assertArrayEquals(payload, RecordFormat.decode(ByteBuffer.wrap(volume.bytes()), (int) index.offset(16), 16)
        .orElseThrow().payload());
  }

  @Test
  void aRecordOfTheTornWriteBeyondTheEndIsErased() throws Exception {
    MemoryVolume volume = new MemoryVolume(8 << 20);
    List<Long> offsets = writeRecords(volume, 10);
    // One write of records 10 and 11: 10 torn (only its first block landed), 11 whole.
    byte[] payload = new byte[3 * 4096];
    java.util.Arrays.fill(payload, (byte) 10);
    byte[] ten = RecordFormat.encode(new LogRecord(10, payload));
    volume.write(offsets.get(10), ByteBuffer.wrap(ten, 0, 4096), true);
    long eleven = offsets.get(10) + ten.length;
    volume.write(eleven, ByteBuffer.wrap(RecordFormat.encode(new LogRecord(11, new byte[] {7}))), true);
    assertEquals(10, recover(volume).count());
    assertTrue(RecordFormat.decode(ByteBuffer.wrap(volume.bytes()), (int) eleven, 11).isEmpty(), "record 11 is erased");
    byte[] zeros = new byte[RecordFormat.MAX_WRITE];
    assertArrayEquals(zeros, java.util.Arrays.copyOfRange(volume.bytes(), offsets.get(10).intValue(),
        offsets.get(10).intValue() + RecordFormat.MAX_WRITE), "the 2 MiB after the end are zeros");
  }

  @Test
  void recordsOnOneCopyOfARaid1OnlyEndUpOnBothOrOnNeither() throws Exception {
    // The last write (records 10 and 11) reached the first copy only; the scan reads the first.
    MemoryVolume found = MemoryVolume.mirrored(4 << 20);
    List<Long> offsets = writeRecords(found, 10);
    byte[] last = lastWrite();
    System.arraycopy(last, 0, found.bytes(), offsets.get(10).intValue(), last.length);
    assertEquals(12, recover(found).count());
    assertArrayEquals(found.bytes(), found.mirror(), "both copies hold records 10 and 11 now");
    assertEquals(12, recover(found).count(), "read from the second copy too");

    // The last write reached the second copy only; the scan reads the first.
    MemoryVolume lost = MemoryVolume.mirrored(4 << 20);
    writeRecords(lost, 10);
    System.arraycopy(last, 0, lost.mirror(), offsets.get(10).intValue(), last.length);
    assertEquals(10, recover(lost).count());
    assertArrayEquals(lost.bytes(), lost.mirror(), "neither copy holds records 10 and 11 now");
    assertEquals(10, recover(lost).count(), "read from the second copy too");
  }

  /** Records 10 and 11 as one write. */
  static byte[] lastWrite() {
    byte[] ten = RecordFormat.encode(new LogRecord(10, new byte[5000]));
    byte[] eleven = RecordFormat.encode(new LogRecord(11, new byte[] {1}));
    return ByteBuffer.allocate(ten.length + eleven.length).put(ten).put(eleven).array();
  }

  @Test
  void aStaleRecordWithTheWrongSequenceNumberIsNotTaken() throws Exception {
    MemoryVolume volume = new MemoryVolume(1 << 20);
    List<Long> offsets = writeRecords(volume, 5);
    // A valid record, but not the next one (5): an older log's, say.
    byte[] stale = RecordFormat.encode(new LogRecord(3, new byte[] {1, 2, 3}));
    volume.write(offsets.get(5), ByteBuffer.wrap(stale), true);
    assertEquals(5, recover(volume).count());
  }

  @Test
  void aHeaderClaimingMoreThanTheVolumeHoldsEndsTheLog() throws Exception {
    MemoryVolume volume = new MemoryVolume(64 * 1024);
    ByteBuffer header = ByteBuffer.allocate(RecordFormat.HEADER);
    header.putInt(RecordFormat.MAGIC).putLong(0).putInt(RecordFormat.MAX_PAYLOAD);
    volume.write(0, header.flip(), true);
    assertEquals(0, recover(volume).count());
  }
}
