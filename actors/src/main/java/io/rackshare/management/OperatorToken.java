package io.rackshare.management;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The operator's credential for a blade's management endpoint: a random 256-bit token in a file
 * only the blade's user can read ({@code rackshare.management.token-file}, by default {@code
 * operator-token} in the blade's data directory), made when the blade first starts. Whoever can
 * read the file may operate the blade; give several blades one token by writing the same line into
 * each one's file.
 */
public final class OperatorToken {

  private final Path file;
  private final byte[] token;

  private OperatorToken(Path file, String token) {
    this.file = file;
    this.token = token.getBytes(StandardCharsets.US_ASCII);
  }

  /** The token in {@code file}, made there (mode 0600) if the file does not exist. */
  public static OperatorToken load(Path file) {
    try {
      if (!Files.exists(file)) {
        Files.createDirectories(file.toAbsolutePath().getParent());
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        Path temp = Files.createTempFile(file.toAbsolutePath().getParent(), ".operator-token", ".tmp",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(temp, HexFormat.of().formatHex(random) + "\n", StandardCharsets.US_ASCII);
        try {
          Files.move(temp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
          Files.deleteIfExists(temp);
          if (!Files.exists(file)) throw e;
        }
      }
      String line = Files.readAllLines(file, StandardCharsets.US_ASCII).stream().findFirst().orElse("").trim();
      if (line.length() < 16) {
        throw new IllegalArgumentException("rackshare.management.token-file " + file
            + ": its first line must be a token of at least 16 characters");
      }
      return new OperatorToken(file, line);
    } catch (IOException e) {
      throw new IllegalArgumentException("rackshare.management.token-file " + file + ": " + e.getMessage(), e);
    }
  }

  public Path file() {
    return file;
  }

  /** The token, for clients in this JVM (an embedding service, the tests). */
  public String value() {
    return new String(token, StandardCharsets.US_ASCII);
  }

  /** Whether {@code candidate} is the token (constant time). */
  boolean matches(String candidate) {
    return MessageDigest.isEqual(token, candidate.getBytes(StandardCharsets.US_ASCII));
  }
}
