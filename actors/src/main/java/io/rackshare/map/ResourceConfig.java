package io.rackshare.map;

import io.rackshare.serialization.RackshareSerializable;

/**
 * The configuration parameters a blade collects for a discovered resource (0063, 0070): what the
 * manager needs to aggregate it into a global resource. One record per resource kind.
 */
@com.fasterxml.jackson.annotation.JsonTypeInfo(use = com.fasterxml.jackson.annotation.JsonTypeInfo.Id.NAME,
    property = "kind")
@com.fasterxml.jackson.annotation.JsonSubTypes({
    @com.fasterxml.jackson.annotation.JsonSubTypes.Type(value = ResourceConfig.Block.class, name = "block"),
    @com.fasterxml.jackson.annotation.JsonSubTypes.Type(value = ResourceConfig.Video.class, name = "video"),
    @com.fasterxml.jackson.annotation.JsonSubTypes.Type(value = ResourceConfig.Keyboard.class, name = "keyboard"),
    @com.fasterxml.jackson.annotation.JsonSubTypes.Type(value = ResourceConfig.Mouse.class, name = "mouse"),
    @com.fasterxml.jackson.annotation.JsonSubTypes.Type(value = ResourceConfig.Medium.class, name = "medium")})
public sealed interface ResourceConfig extends RackshareSerializable {

  /**
   * A block storage resource: a disk file or block device, or a blade's shared memory. {@code
   * incarnation}: for memory, whose content dies with its process, a random name of this
   * process's allocation (a blade that restarts registers a new one, so the manager knows its old
   * content is gone); null for storage that keeps its content.
   */
  record Block(int blockSize, long blockCount, String incarnation) implements ResourceConfig {
    @com.fasterxml.jackson.annotation.JsonCreator
    public Block {
      if (blockSize < 512 || Integer.bitCount(blockSize) != 1) {
        throw new IllegalArgumentException(
            "block size must be a power of two >= 512, got " + blockSize);
      }
      if (blockCount <= 0) {
        throw new IllegalArgumentException("block count must be > 0, got " + blockCount);
      }
    }

    /** Storage that keeps its content. */
    public Block(int blockSize, long blockCount) {
      this(blockSize, blockCount, null);
    }

    public long sizeBytes() {
      return blockSize * blockCount;
    }

    /** Whether its content dies with its blade's process (memory). */
    public boolean volatileContent() {
      return incarnation != null;
    }
  }

  /**
   * A console screen (0096-0105): a text-mode cell grid of {@code columns} x {@code rows}, showing
   * the output of {@code command} run under a pseudo-terminal.
   */
  record Video(int columns, int rows, String command) implements ResourceConfig {
    public Video {
      if (columns <= 0 || rows <= 0) throw new IllegalArgumentException("a " + columns + "x" + rows + " screen");
    }
  }

  /** A console keyboard: bytes into the console's pseudo-terminal, as a terminal sends them. */
  record Keyboard(String encoding) implements ResourceConfig {}

  /** A console mouse: reports in {@code protocol} (xterm) when the application asks for them. */
  record Mouse(String protocol) implements ResourceConfig {}

  /**
   * A removable-media drive (0062: removable media), such as a CD drive or a BMC's virtual media:
   * shared read-only as the global volume {@code volume}. {@code image} is the medium inserted (an
   * image file's name, or a device), null when the drive is empty; {@code blockCount} its size in
   * blocks (0 when empty); {@code incarnation} names this insertion of this medium (the same
   * file, unchanged, gets the same name), so that no request made for one medium reads another.
   */
  record Medium(String volume, String image, int blockSize, long blockCount, String incarnation)
      implements ResourceConfig {
    @com.fasterxml.jackson.annotation.JsonCreator
    public Medium {
      new Block(blockSize, 1); // checks the block size
      if (volume == null || volume.isBlank()) throw new IllegalArgumentException("a media drive needs a volume name");
      if (image == null ? blockCount != 0 || incarnation != null : blockCount <= 0 || incarnation == null) {
        throw new IllegalArgumentException("a medium needs an image, a size > 0 and an incarnation; an empty drive"
            + " none of them: " + image + ", " + blockCount + " blocks, " + incarnation);
      }
    }

    /** An empty drive. */
    public static Medium empty(String volume, int blockSize) {
      return new Medium(volume, null, blockSize, 0, null);
    }

    /** Whether a medium is inserted. */
    public boolean inserted() {
      return image != null;
    }

    public long sizeBytes() {
      return (long) blockSize * blockCount;
    }

    /** The medium as a block device, for the layout that builds its volume. */
    public Block block() {
      return new Block(blockSize, blockCount, incarnation);
    }
  }
}
