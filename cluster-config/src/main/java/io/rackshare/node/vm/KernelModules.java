package io.rackshare.node.vm;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;

/**
 * The modules of one installed kernel ({@code /lib/modules/<version>}), as {@code modules.dep}
 * and {@code modules.builtin} list them: which of the guest's drivers are modules, and the files
 * to load for them, dependencies first, in an order busybox {@code insmod} can follow.
 */
public final class KernelModules {

  /** A module file to load: its name, and its content (gzip'd modules are unpacked here). */
  public record Module(String name, String fileName, byte[] content) {}

  private final Path dir;
  /** Module name (dashes as underscores) to its path relative to {@code dir}. */
  private final Map<String, String> paths = new HashMap<>();
  private final Map<String, List<String>> deps = new HashMap<>();
  private final Set<String> builtin = new HashSet<>();

  private KernelModules(Path dir) {
    this.dir = dir;
  }

  /** Reads {@code dir/modules.dep} and {@code dir/modules.builtin} (which may be missing). */
  public static KernelModules read(Path dir) throws IOException {
    KernelModules m = new KernelModules(dir);
    Path dep = dir.resolve("modules.dep");
    if (!Files.isReadable(dep)) throw new IOException("no readable " + dep);
    for (String line : Files.readAllLines(dep)) {
      int colon = line.indexOf(':');
      if (colon <= 0) continue;
      String path = line.substring(0, colon).trim();
      m.paths.put(name(path), path);
      List<String> d = new ArrayList<>();
      for (String p : line.substring(colon + 1).trim().split("\\s+")) if (!p.isEmpty()) d.add(name(p));
      m.deps.put(name(path), d);
    }
    Path builtin = dir.resolve("modules.builtin");
    if (Files.isReadable(builtin)) for (String line : Files.readAllLines(builtin)) m.builtin.add(name(line.trim()));
    return m;
  }

  /** {@code kernel/fs/isofs/isofs.ko.xz} -> {@code isofs}; dashes become underscores, as the kernel names them. */
  static String name(String path) {
    String file = path.substring(path.lastIndexOf('/') + 1);
    int ko = file.indexOf(".ko");
    return (ko < 0 ? file : file.substring(0, ko)).replace('-', '_');
  }

  /** Whether {@code module} is built into the kernel. */
  public boolean isBuiltin(String module) {
    return builtin.contains(module.replace('-', '_'));
  }

  /**
   * The modules to load for {@code wanted}, each after its dependencies; built-in ones are left
   * out. Fails for a driver that is neither a module nor built in, and for compression busybox
   * cannot undo ({@code .ko.zst}); {@code .ko.gz} is unpacked here, {@code .ko.xz} left to the
   * guest's {@code unxz}.
   */
  public List<Module> resolve(List<String> wanted) throws IOException {
    LinkedHashSet<String> order = new LinkedHashSet<>();
    for (String w : wanted) visit(w.replace('-', '_'), order, new HashSet<>());
    List<Module> out = new ArrayList<>();
    for (String n : order) {
      String path = paths.get(n);
      Path file = dir.resolve(path);
      String fileName = path.substring(path.lastIndexOf('/') + 1);
      byte[] content;
      if (fileName.endsWith(".ko.gz")) {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
          content = in.readAllBytes();
        }
        fileName = fileName.substring(0, fileName.length() - 3);
      } else if (fileName.endsWith(".ko") || fileName.endsWith(".ko.xz")) {
        content = Files.readAllBytes(file);
      } else {
        throw new IOException(file + ": compressed in a way busybox insmod cannot load (only .ko, .ko.gz, .ko.xz)");
      }
      out.add(new Module(n, fileName, content));
    }
    return out;
  }

  private void visit(String n, LinkedHashSet<String> order, Set<String> path) throws IOException {
    if (order.contains(n) || builtin.contains(n)) return;
    if (!paths.containsKey(n)) {
      throw new IOException("the kernel in " + dir + " has no module " + n + " and does not build it in");
    }
    if (!path.add(n)) throw new IOException("modules.dep in " + dir + " has a cycle through " + n);
    // modules.dep lists every dependency, indirect ones too: each is visited before n.
    for (String d : deps.get(n)) visit(d, order, path);
    order.add(n);
  }
}
