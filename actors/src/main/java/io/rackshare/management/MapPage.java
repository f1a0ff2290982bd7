package io.rackshare.management;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * The live map page ({@code GET /map}): one HTML document with nothing from elsewhere, whose
 * inline script asks for {@code map.svg} (same origin) about once a second, puts the drawing in
 * place and says when the last one came, or since when the blade has not answered (the page then
 * turns red and the old drawing fades; {@code #map} counts drawings in {@code data-updates} and
 * refreshes, drawn or not, in {@code data-attempts}). Its Content-Security-Policy allows only that script and
 * that style sheet (by their SHA-256), requests to its own origin, and no framing; the drawing
 * ({@link MapSvg}) uses presentation attributes only, so it needs no style permission.
 */
final class MapPage {
  private MapPage() {}

  static final String STYLE = """
      body{margin:0;font:13px 'DejaVu Sans',Verdana,sans-serif;color:#263238;background:#fff}
      #note{display:block;padding:6px 10px;background:#eceff1;border-bottom:1px solid #cfd8dc}
      body.stale #note{background:#d32f2f;color:#fff;font-weight:bold}
      body.stale #map{opacity:.45}
      #map svg{display:block;max-width:100%;height:auto}
      """;

  static final String SCRIPT = """
      (() => {
        const map = document.getElementById('map');
        const note = document.getElementById('note');
        let last = 0, failingSince = 0, updates = 0, attempts = 0;
        const time = t => new Date(t).toLocaleTimeString();
        async function refresh() {
          const stop = new AbortController();
          const timer = setTimeout(() => stop.abort(), 3000);
          try {
            const r = await fetch('map.svg', { cache: 'no-store', signal: stop.signal });
            const text = await r.text();
            if (!r.ok) throw new Error('HTTP ' + r.status + ': ' + text.slice(0, 200));
            const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
            const svg = doc.documentElement;
            if (svg.localName !== 'svg' || doc.getElementsByTagName('parsererror').length) {
              throw new Error('the answer is not an SVG drawing');
            }
            map.replaceChildren(document.importNode(svg, true));
            last = Date.now();
            failingSince = 0;
            map.dataset.updates = ++updates;
            document.body.classList.remove('stale');
            document.title = 'Rackshare map: ' + svg.getAttribute('data-seen-from');
            note.textContent = 'updated ' + time(last) + ' · map epoch ' + svg.getAttribute('data-epoch')
                + ' · seen from ' + svg.getAttribute('data-seen-from');
          } catch (e) {
            if (!failingSince) failingSince = Date.now();
            document.body.classList.add('stale');
            document.title = 'Rackshare map: not answering';
            note.textContent = 'the blade has not answered since ' + time(failingSince)
                + (last ? ' (last update ' + time(last) + ')' : '') + ': '
                + (e.name === 'AbortError' ? 'no answer within 3 s' : e.message);
          } finally {
            clearTimeout(timer);
            map.dataset.attempts = ++attempts;
            setTimeout(refresh, 1000);
          }
        }
        refresh();
      })();
      """;

  static final String HTML = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      + "<meta name=\"viewport\" content=\"width=device-width\"><title>Rackshare map</title>"
      + "<style>" + STYLE + "</style></head>\n<body><span id=\"note\" role=\"status\">loading the map…</span>"
      + "<div id=\"map\"></div><script>" + SCRIPT + "</script></body></html>\n";

  static final String POLICY = "default-src 'none'; script-src '" + sha256(SCRIPT) + "'; style-src '" + sha256(STYLE)
      + "'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  /** For the drawing itself, opened alone: no script, nothing loaded, not framed elsewhere. */
  static final String SVG_POLICY = "default-src 'none'; frame-ancestors 'none'";

  static List<HttpHeader> headers(String policy) {
    return List.of(RawHeader.create("Content-Security-Policy", policy), RawHeader.create("X-Content-Type-Options",
        "nosniff"), RawHeader.create("Cache-Control", "no-store"), RawHeader.create("Referrer-Policy", "no-referrer"));
  }

  static HttpResponse page() {
    return HttpResponse.create().withEntity(ContentTypes.TEXT_HTML_UTF8, HTML).addHeaders(headers(POLICY));
  }

  static HttpResponse svg(String document) {
    return HttpResponse.create().withEntity(ContentTypes.create(MediaTypes.IMAGE_SVG_XML),
        document.getBytes(StandardCharsets.UTF_8)).addHeaders(headers(SVG_POLICY));
  }

  /** A CSP source for {@code text} (a script's or a style sheet's content, exactly). */
  static String sha256(String text) {
    try {
      return "sha256-" + Base64.getEncoder().encodeToString(
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("no SHA-256 in this JVM", e);
    }
  }
}
