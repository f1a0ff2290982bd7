package io.rackshare.smm;

import io.rackshare.map.BladeId;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;

/**
 * A data-lane client's greeting as a test writes it by hand (DataLane's wire format: {@code long
 * MAGIC, int rack, int chassis, int slot}, then the credential over the target's nonce).
 */
public final class LaneGreeting {
  private LaneGreeting() {}

  public static final long MAGIC = 0x5253484c414e4531L; // "RSHLANE1"

  /** Reads the target's nonce from a fresh connection. */
  public static byte[] nonce(InputStream in) throws IOException {
    return in.readNBytes(LaneCredential.NONCE);
  }

  /** The greeting of {@code client} to {@code target}; {@code key} null makes a credential of zeros. */
  public static byte[] of(byte[] key, byte[] nonce, BladeId client, BladeId target) {
    byte[] mac = key == null ? new byte[LaneCredential.MAC] : LaneCredential.mac(key, nonce, client, target);
    return ByteBuffer.allocate(20 + mac.length).putLong(MAGIC).putInt(client.rack()).putInt(client.chassis())
        .putInt(client.slot()).put(mac).array();
  }
}
