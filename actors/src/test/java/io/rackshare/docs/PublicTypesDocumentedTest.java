package io.rackshare.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.sun.source.tree.ClassTree;
import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.Tree;
import com.sun.source.util.DocTrees;
import com.sun.source.util.JavacTask;
import com.sun.source.util.TreePath;
import com.sun.source.util.TreePathScanner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.lang.model.element.Modifier;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * Every public type of the main sources of actors, persistence, cluster-config, testkit and
 * examples (top level and nested: classes, interfaces, records, enums, annotations) has a Javadoc
 * comment. A type
 * counts as public when it is declared {@code public} or is a member of an interface or
 * annotation (implicitly public), and every type enclosing it is public too. The sources are only
 * parsed (javac's tree API, no compilation), so the check needs nothing beyond the JDK.
 */
class PublicTypesDocumentedTest {

  /** The modules whose main sources are checked, relative to the actors module's directory. */
  static final List<String> MODULES = List.of("../actors", "../persistence", "../cluster-config", "../testkit", "../examples");

  /**
   * Public types known to lack a doc comment in files this change may not touch. Each entry must
   * still be undocumented (the test fails once it has a comment, so the entry is then removed).
   * None now.
   */
  static final Set<String> KNOWN_UNDOCUMENTED = Set.of();

  @Test
  void everyPublicTypeOfTheMainSourcesHasAJavadocComment() throws IOException {
    List<Path> files = new ArrayList<>();
    for (String module : MODULES) {
      Path root = Path.of(module, "src", "main", "java");
      assertTrue(Files.isDirectory(root), "no main sources at " + root.toAbsolutePath().normalize());
      try (Stream<Path> walk = Files.walk(root)) {
        walk.filter(p -> p.toString().endsWith(".java")).sorted().forEach(files::add);
      }
    }
    assertTrue(files.size() > 100, "found only " + files.size() + " source files");
    List<String> missing = undocumented(files);
    List<String> unexpected = missing.stream().filter(t -> !KNOWN_UNDOCUMENTED.contains(t.split(" ")[0])).toList();
    if (!unexpected.isEmpty()) {
      fail(unexpected.size() + " public type(s) without a Javadoc comment (/** ... */ before the declaration):\n  "
          + String.join("\n  ", unexpected));
    }
    Set<String> names = missing.stream().map(t -> t.split(" ")[0]).collect(Collectors.toSet());
    for (String known : KNOWN_UNDOCUMENTED) {
      assertTrue(names.contains(known), known + " has a Javadoc comment now: remove it from KNOWN_UNDOCUMENTED");
    }
  }

  @Test
  void theCheckFindsAnUndocumentedPublicTypeNestedOrNot() throws IOException {
    Path dir = Files.createTempDirectory("doc-check");
    try {
      Path file = dir.resolve("Sample.java");
      Files.writeString(file, String.join("\n",
          "package p;",
          "public class Sample {",
          "  /** Documented. */",
          "  @Deprecated",
          "  public record Documented(int a) {}",
          "  public interface Command {",
          "    record Implicit() implements Command {}",
          "  }",
          "  private static class Hidden { public static class Inner {} }",
          "  // a line comment is no doc",
          "  public enum Kind { A }",
          "}",
          "/** Package-private, never checked. */",
          "class Other {}"), StandardCharsets.UTF_8);
      assertEquals(List.of(
              "p.Sample (" + file + ":2)",
              "p.Sample.Command (" + file + ":6)",
              "p.Sample.Command.Implicit (" + file + ":7)",
              "p.Sample.Kind (" + file + ":11)"),
          undocumented(List.of(file)));
    } finally {
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** Each public type of these files without a doc comment, as "qualified.Name (file:line)". */
  static List<String> undocumented(List<Path> files) throws IOException {
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    try (StandardJavaFileManager fm = javac.getStandardFileManager(null, null, StandardCharsets.UTF_8)) {
      Iterable<? extends JavaFileObject> units = fm.getJavaFileObjectsFromPaths(files);
      JavacTask task = (JavacTask) javac.getTask(null, fm, null, List.of("-proc:none"), null, units);
      DocTrees docs = DocTrees.instance(task);
      List<String> missing = new ArrayList<>();
      for (CompilationUnitTree unit : task.parse()) {
        String pkg = unit.getPackageName() == null ? "" : unit.getPackageName().toString() + ".";
        new TreePathScanner<Void, String>() {
          @Override
          public Void visitClass(ClassTree type, String outer) {
            Tree parent = getCurrentPath().getParentPath().getLeaf();
            boolean inInterface = parent instanceof ClassTree p
                && (p.getKind() == Tree.Kind.INTERFACE || p.getKind() == Tree.Kind.ANNOTATION_TYPE);
            boolean isPublic = type.getModifiers().getFlags().contains(Modifier.PUBLIC) || inInterface;
            boolean memberOrTop = parent instanceof ClassTree || parent instanceof CompilationUnitTree;
            if (!isPublic || !memberOrTop) {
              return null; // neither it nor anything inside it is public API
            }
            String name = outer + type.getSimpleName();
            if (docs.getDocCommentTree(getCurrentPath()) == null) {
              long line = unit.getLineMap().getLineNumber(docs.getSourcePositions().getStartPosition(unit, type));
              missing.add(name + " (" + Path.of(unit.getSourceFile().toUri()) + ":" + line + ")");
            }
            return super.visitClass(type, name + ".");
          }
        }.scan(new TreePath(unit), pkg);
      }
      return missing;
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }
}
