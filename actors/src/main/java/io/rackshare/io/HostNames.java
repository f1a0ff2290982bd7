package io.rackshare.io;

import java.io.IOException;
import java.net.InetAddress;
import java.util.Collection;
import java.util.HashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;

/**
 * The names a web server of this host answers browsers for, against DNS rebinding: a page of an
 * attacker's name that resolves here would otherwise be "same origin" with the server. IP
 * literals (no DNS answer can make them point elsewhere), {@code localhost}, the address the
 * server listens on, this host's own names and those the operator adds. Used by the console
 * station's web face and the management endpoint.
 */
public final class HostNames {
  private HostNames() {}

  /** {@code localhost}, {@code listening}, {@code extra} and this host's name and canonical name, lower case. */
  public static Set<String> own(String listening, Collection<String> extra) {
    Set<String> names = new HashSet<>();
    names.add("localhost");
    names.add(listening.toLowerCase(Locale.ROOT));
    extra.forEach(h -> names.add(h.toLowerCase(Locale.ROOT)));
    try {
      InetAddress self = InetAddress.getLocalHost();
      names.add(self.getHostName().toLowerCase(Locale.ROOT));
      names.add(self.getCanonicalHostName().toLowerCase(Locale.ROOT));
    } catch (IOException e) {
      // no name of its own: IP literals and localhost still work
    }
    return Set.copyOf(names);
  }

  /** Whether the request's {@code Host} is an IP literal or one of {@code names}. */
  public static boolean known(HttpRequest request, Set<String> names) {
    Optional<String> host = of(request);
    return host.isPresent() && (ipLiteral(host.get()) || names.contains(host.get()));
  }

  /** The {@code Host} the request names, lower case, without its port; empty if it has none. */
  public static Optional<String> of(HttpRequest request) {
    return request.getHeader("Host").map(HttpHeader::value).map(h -> {
      String v = h.trim().toLowerCase(Locale.ROOT);
      if (v.startsWith("[")) {
        int end = v.indexOf(']');
        return end < 0 ? v : v.substring(0, end + 1);
      }
      int colon = v.lastIndexOf(':');
      return colon < 0 ? v : v.substring(0, colon);
    });
  }

  /** An IP literal (v4 dotted or bracketed v6): no DNS answer can make it point elsewhere. */
  public static boolean ipLiteral(String host) {
    if (host.startsWith("[") && host.endsWith("]")) {
      return host.length() > 2 && host.substring(1, host.length() - 1).matches("[0-9a-f:.]+");
    }
    return host.matches("\\d{1,3}(\\.\\d{1,3}){3}");
  }
}
