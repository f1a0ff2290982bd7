package io.rackshare.nbd;

import static io.rackshare.nbd.NbdProtocol.*;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code NBD_OPT_LIST_META_CONTEXT} and {@code NBD_OPT_SET_META_CONTEXT}: which metadata contexts
 * a client asks for, and which of them this server has. One context here: {@code
 * base:allocation} (block status: holes, which read as zeroes, and data). Pure functions, run on
 * the connection's thread during the handshake.
 */
final class MetaContexts {
  private MetaContexts() {}

  /** An option's request: the export it is about and the queries (context names or namespaces). */
  record Request(String export, List<String> queries) {}

  /** Parses the option's data; a malformed one is an {@link IllegalArgumentException} with the reason. */
  static Request parse(byte[] data) {
    ByteBuffer b = ByteBuffer.wrap(data);
    try {
      int nameLength = b.getInt();
      if (nameLength < 0 || nameLength > b.remaining()) throw new IllegalArgumentException("bad export name length");
      byte[] name = new byte[nameLength];
      b.get(name);
      int count = b.getInt();
      if (count < 0 || count > b.remaining() / 4) throw new IllegalArgumentException("bad query count " + count);
      List<String> queries = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        int n = b.getInt();
        if (n < 0 || n > b.remaining()) throw new IllegalArgumentException("bad query length " + n);
        byte[] q = new byte[n];
        b.get(q);
        queries.add(new String(q, StandardCharsets.UTF_8));
      }
      if (b.hasRemaining()) throw new IllegalArgumentException(b.remaining() + " bytes after the queries");
      return new Request(new String(name, StandardCharsets.UTF_8), queries);
    } catch (java.nio.BufferUnderflowException e) {
      throw new IllegalArgumentException("truncated meta context request");
    }
  }

  /**
   * The contexts {@code request} selects ({@code set}) or lists: {@code base:allocation} for its
   * own name or the {@code base:} namespace; listing with no query lists every context.
   */
  static List<String> matching(Request request, boolean set) {
    if (request.queries().isEmpty()) return set ? List.of() : List.of(BASE_ALLOCATION);
    for (String q : request.queries()) {
      if (q.equals(BASE_ALLOCATION) || !set && q.equals("base:")) return List.of(BASE_ALLOCATION);
    }
    return List.of();
  }

  /** The body of an {@code NBD_REP_META_CONTEXT} reply for {@code name}. */
  static byte[] reply(String name) {
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(4 + n.length).putInt(ALLOCATION_CONTEXT_ID).put(n).array();
  }
}
