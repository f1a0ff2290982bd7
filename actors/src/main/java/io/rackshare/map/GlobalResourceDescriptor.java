package io.rackshare.map;

import io.rackshare.serialization.RackshareSerializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Describes one global resource, here a virtual volume (0070, descriptor 612): how to reach it
 * (the layout, its members by position and their states, its lookup table of extents where the
 * layout keeps one) and its configuration (block size, capacity, layout options). The manager
 * builds it; every blade keeps a copy in its local global resource map. {@code epoch} is the map
 * epoch at which this descriptor last changed: requests carry it so that the target blade can
 * tell a stale map from a current one (0081).
 *
 * <p>{@code memberBlocks} is the part of each member the layout uses (the smallest member's size,
 * rounded to the layout's unit); {@code spares} are hot spares (0092), unused until a member
 * fails. {@code parts} places the members and spares that are parts of pooled disks ({@link
 * Part}); empty for a volume of whole disks. {@code growth}, while such a volume grows, is the
 * size it takes once its parts' new extents are ready (null otherwise).
 */
public record GlobalResourceDescriptor(
    String name,
    String layout,
    int blockSize,
    long capacityBlocks,
    long memberBlocks,
    List<Member> members,
    List<DevicePath> spares,
    List<Extent> extents,
    Map<String, String> options,
    long epoch,
    List<Part> parts,
    Growth growth,
    List<Move> moves)
    implements RackshareSerializable {

  @com.fasterxml.jackson.annotation.JsonCreator
  public GlobalResourceDescriptor {
    if (name == null || name.isBlank()) throw new IllegalArgumentException("volume needs a name");
    if (blockSize <= 0 || capacityBlocks < 0 || memberBlocks < 0 || epoch < 0) {
      throw new IllegalArgumentException(
          "bad volume " + name + ": block size " + blockSize + ", capacity " + capacityBlocks);
    }
    members = List.copyOf(members);
    spares = List.copyOf(spares);
    extents = List.copyOf(extents);
    options = Map.copyOf(options);
    parts = parts == null ? List.of() : List.copyOf(parts);
    // null: a descriptor journalled or stored before moves existed.
    moves = moves == null ? List.of() : List.copyOf(moves);
  }

  /** A volume on the pool, moving nothing. */
  public GlobalResourceDescriptor(String name, String layout, int blockSize, long capacityBlocks, long memberBlocks,
      List<Member> members, List<DevicePath> spares, List<Extent> extents, Map<String, String> options, long epoch,
      List<Part> parts, Growth growth) {
    this(name, layout, blockSize, capacityBlocks, memberBlocks, members, spares, extents, options, epoch, parts, growth,
        List.of());
  }

  /** A volume of whole disks. */
  public GlobalResourceDescriptor(String name, String layout, int blockSize, long capacityBlocks, long memberBlocks,
      List<Member> members, List<DevicePath> spares, List<Extent> extents, Map<String, String> options, long epoch) {
    this(name, layout, blockSize, capacityBlocks, memberBlocks, members, spares, extents, options, epoch, List.of(),
        null);
  }

  /** Where part {@code device} of this volume lies, if it is one. */
  public java.util.Optional<Part> part(DevicePath device) {
    for (Part p : parts) {
      if (p.path().equals(device)) return java.util.Optional.of(p);
    }
    return java.util.Optional.empty();
  }

  /** The move of the member at {@code position}, if it is moving. */
  public java.util.Optional<Move> move(int position) {
    for (Move m : moves) {
      if (m.position() == position) return java.util.Optional.of(m);
    }
    return java.util.Optional.empty();
  }

  /** The move whose target is {@code device}, if any. */
  public java.util.Optional<Move> moveTo(DevicePath device) {
    for (Move m : moves) {
      if (m.target().equals(device)) return java.util.Optional.of(m);
    }
    return java.util.Optional.empty();
  }

  /** This descriptor with {@code newMoves} and {@code newParts}, at {@code newEpoch}. */
  public GlobalResourceDescriptor withMoves(List<Move> newMoves, List<Part> newParts, long newEpoch) {
    return new GlobalResourceDescriptor(name, layout, blockSize, capacityBlocks, memberBlocks, members, spares, extents,
        options, newEpoch, newParts, growth, newMoves);
  }

  /** Whether every part of this volume is ready (a volume of whole disks always is). */
  public boolean partsReady() {
    return parts.stream().allMatch(Part::ready);
  }

  /** This descriptor with {@code newParts}, capacity {@code newCapacity}, at {@code newEpoch}. */
  public GlobalResourceDescriptor withParts(List<Part> newParts, long newCapacity, long newEpoch) {
    return new GlobalResourceDescriptor(
        name, layout, blockSize, newCapacity, memberBlocks, members, spares, extents, options, newEpoch, newParts,
        growth, moves);
  }

  /** This descriptor growing to {@code g} with {@code newParts} (their new extents not ready yet), at {@code newEpoch}. */
  public GlobalResourceDescriptor growing(List<Part> newParts, Growth g, long newEpoch) {
    return new GlobalResourceDescriptor(
        name, layout, blockSize, capacityBlocks, memberBlocks, members, spares, extents, options, newEpoch, newParts, g, moves);
  }

  /** This descriptor at the size its growth ends in, at {@code newEpoch}. */
  public GlobalResourceDescriptor grown(long newEpoch) {
    return new GlobalResourceDescriptor(name, layout, blockSize, growth.capacityBlocks(), growth.memberBlocks(), members,
        spares, growth.extents(), options, newEpoch, parts, null, moves);
  }

  public long sizeBytes() {
    return capacityBlocks * blockSize;
  }

  public long memberBytes() {
    return memberBlocks * blockSize;
  }

  /** The member devices, by position. */
  public List<DevicePath> devices() {
    return members.stream().map(Member::device).toList();
  }

  public Member member(int position) {
    return members.get(position);
  }

  /** The position of {@code device} among the members, or -1. */
  public int positionOf(DevicePath device) {
    for (int i = 0; i < members.size(); i++) {
      if (members.get(i).device().equals(device)) return i;
    }
    return -1;
  }

  public String option(String key, String orElse) {
    return options.getOrDefault(key, orElse);
  }

  public GlobalResourceDescriptor withEpoch(long newEpoch) {
    return new GlobalResourceDescriptor(
        name, layout, blockSize, capacityBlocks, memberBlocks, members, spares, extents, options, newEpoch, parts, growth, moves);
  }

  /** This descriptor with {@code member} at {@code position}, at {@code newEpoch}. */
  public GlobalResourceDescriptor withMember(int position, Member member, long newEpoch) {
    List<Member> m = new ArrayList<>(members);
    m.set(position, member);
    return new GlobalResourceDescriptor(
        name, layout, blockSize, capacityBlocks, memberBlocks, m, spares, extents, options, newEpoch, parts, growth, moves);
  }

  public GlobalResourceDescriptor withSpares(List<DevicePath> newSpares, long newEpoch) {
    return new GlobalResourceDescriptor(
        name, layout, blockSize, capacityBlocks, memberBlocks, members, newSpares, extents, options, newEpoch, parts, growth, moves);
  }
}
