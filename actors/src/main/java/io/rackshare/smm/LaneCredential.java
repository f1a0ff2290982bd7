package io.rackshare.smm;

import io.rackshare.map.BladeId;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * How a data-lane client proves it is a blade of the cluster. Each lane has a random key, new at
 * every start, which its SMM handler gives only to blades, in its greeting over the OOB channel
 * (mutual TLS: only holders of a certificate of the cluster's CA hear it). The target opens every
 * connection with a fresh nonce; the client answers with
 * {@code HMAC-SHA256(target's key, "rackshare-lane-1" | nonce | client id | target id)}, and the
 * target serves nothing until that checks out. A recorded greeting is worth nothing on another
 * connection (another nonce), and the key never crosses the lane.
 *
 * <p>What this does not give: the lane's frames after the greeting are neither encrypted nor
 * integrity-protected, so someone <em>on the path</em> between two blades can read them or, with
 * effort, inject into an open connection (docs/SECURITY.md). Pure functions; any thread.
 */
final class LaneCredential {
  private LaneCredential() {}

  static final int KEY = 32;
  static final int NONCE = 32;
  static final int MAC = 32;
  private static final byte[] CONTEXT = "rackshare-lane-1".getBytes(StandardCharsets.US_ASCII);
  private static final SecureRandom RANDOM = new SecureRandom();

  static byte[] newKey() {
    byte[] k = new byte[KEY];
    RANDOM.nextBytes(k);
    return k;
  }

  static byte[] nonce() {
    byte[] n = new byte[NONCE];
    RANDOM.nextBytes(n);
    return n;
  }

  /** What {@code client} sends {@code target}, whose lane key is {@code key}, for {@code nonce}. */
  static byte[] mac(byte[] key, byte[] nonce, BladeId client, BladeId target) {
    try {
      Mac m = Mac.getInstance("HmacSHA256");
      m.init(new SecretKeySpec(key, "HmacSHA256"));
      m.update(CONTEXT);
      m.update(nonce);
      m.update(ids(client, target));
      return m.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }

  /** Whether {@code mac} proves {@code client} holds {@code key} (constant time). */
  static boolean verify(byte[] key, byte[] nonce, BladeId client, BladeId target, byte[] mac) {
    return MessageDigest.isEqual(mac(key, nonce, client, target), mac);
  }

  private static byte[] ids(BladeId client, BladeId target) {
    return ByteBuffer.allocate(24).putInt(client.rack()).putInt(client.chassis()).putInt(client.slot())
        .putInt(target.rack()).putInt(target.chassis()).putInt(target.slot()).array();
  }
}
