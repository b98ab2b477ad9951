/**
 * An in-memory B+tree of items ordered by their binary-string `key`.
 *
 * Leaves hold up to {@linkcode LEAF_MAX} items and are linked both ways, so a range scan seeks
 * once (O(log n)) and then walks leaves. Inner nodes hold separators: `keys[i]` is ≤ every key
 * in `children[i + 1]` and > every key in `children[i]`. Deletes remove empty nodes and merge a
 * small leaf into its right sibling when both fit; separators may go stale after deletes, which
 * keeps them valid partition points.
 *
 * @module
 */

/** Most items a leaf holds before it splits. */
export const LEAF_MAX = 64;
const INNER_MAX = 64;
const LEAF_MERGE = LEAF_MAX / 4;

interface Leaf<T> {
  leaf: true;
  items: T[];
  next: Leaf<T> | null;
  prev: Leaf<T> | null;
}

interface Inner<T> {
  leaf: false;
  keys: string[];
  children: Node<T>[];
}

type Node<T> = Leaf<T> | Inner<T>;

interface Split<T> {
  key: string;
  node: Node<T>;
}

function itemLowerBound<T extends { key: string }>(items: T[], key: string): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (items[mid]!.key < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function childIndex(keys: string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** An ordered collection of items keyed by a binary string. */
export class BTree<T extends { key: string }> {
  #root: Node<T> = { leaf: true, items: [], next: null, prev: null };
  #size = 0;

  /** Number of items. */
  get size(): number {
    return this.#size;
  }

  /**
   * Builds a tree from items already in ascending key order with unique keys, in O(n): leaves
   * filled to three quarters (room for inserts before they split), then the inner levels.
   */
  static fromSorted<T extends { key: string }>(items: readonly T[]): BTree<T> {
    const tree = new BTree<T>();
    if (items.length === 0) return tree;
    const per = (LEAF_MAX * 3) >> 2;
    let level: { node: Node<T>; first: string }[] = [];
    let prev: Leaf<T> | null = null;
    for (let i = 0; i < items.length; i += per) {
      const leaf: Leaf<T> = { leaf: true, items: items.slice(i, i + per), next: null, prev };
      if (prev) prev.next = leaf;
      prev = leaf;
      level.push({ node: leaf, first: leaf.items[0]!.key });
    }
    const fan = (INNER_MAX * 3) >> 2;
    while (level.length > 1) {
      const up: { node: Node<T>; first: string }[] = [];
      for (let i = 0; i < level.length; i += fan) {
        const group = level.slice(i, i + fan);
        const inner: Inner<T> = {
          leaf: false,
          keys: group.slice(1).map((g) => g.first),
          children: group.map((g) => g.node),
        };
        up.push({ node: inner, first: group[0]!.first });
      }
      level = up;
    }
    tree.#root = level[0]!.node;
    tree.#size = items.length;
    return tree;
  }

  /** Finds the item with exactly `key`. */
  get(key: string): T | undefined {
    const leaf = this.#leafFor(key);
    const i = itemLowerBound(leaf.items, key);
    const item = leaf.items[i];
    return item !== undefined && item.key === key ? item : undefined;
  }

  /** Inserts `item`, replacing an item with the same key; returns the replaced item. */
  set(item: T): T | undefined {
    const box: { old: T | undefined } = { old: undefined };
    const split = this.#insert(this.#root, item, box);
    if (split) {
      this.#root = { leaf: false, keys: [split.key], children: [this.#root, split.node] };
    }
    if (box.old === undefined) this.#size++;
    return box.old;
  }

  /** Removes the item with `key`; returns it. */
  delete(key: string): T | undefined {
    const box: { old: T | undefined } = { old: undefined };
    this.#remove(this.#root, key, box);
    const root = this.#root;
    if (!root.leaf && root.children.length === 1) this.#root = root.children[0]!;
    if (!root.leaf && root.children.length === 0) {
      this.#root = { leaf: true, items: [], next: null, prev: null };
    }
    if (box.old !== undefined) this.#size--;
    return box.old;
  }

  /**
   * Visits items with `start <= key < end` in ascending order (`end` undefined: to the end).
   * `visit` returning false stops the walk. The tree must not change during the walk.
   */
  scan(start: string, end: string | undefined, visit: (item: T) => boolean | void): void {
    let leaf: Leaf<T> | null = this.#leafFor(start);
    let i = itemLowerBound(leaf.items, start);
    while (leaf) {
      const items = leaf.items;
      for (; i < items.length; i++) {
        const item = items[i]!;
        if (end !== undefined && item.key >= end) return;
        if (visit(item) === false) return;
      }
      leaf = leaf.next;
      i = 0;
    }
  }

  /**
   * Visits items with `start <= key < end` in descending order (`end` undefined: from the
   * last item). `visit` returning false stops the walk.
   */
  scanReverse(start: string, end: string | undefined, visit: (item: T) => boolean | void): void {
    let leaf: Leaf<T> | null;
    let i: number;
    if (end === undefined) {
      leaf = this.#lastLeaf();
      i = leaf.items.length - 1;
    } else {
      leaf = this.#leafFor(end);
      i = itemLowerBound(leaf.items, end) - 1;
    }
    while (leaf) {
      const items = leaf.items;
      for (; i >= 0; i--) {
        const item = items[i]!;
        if (item.key < start) return;
        if (visit(item) === false) return;
      }
      leaf = leaf.prev;
      i = leaf ? leaf.items.length - 1 : -1;
    }
  }

  #leafFor(key: string): Leaf<T> {
    let node = this.#root;
    while (!node.leaf) node = node.children[childIndex(node.keys, key)]!;
    return node;
  }

  #lastLeaf(): Leaf<T> {
    let node = this.#root;
    while (!node.leaf) node = node.children[node.children.length - 1]!;
    return node;
  }

  #insert(node: Node<T>, item: T, box: { old: T | undefined }): Split<T> | undefined {
    if (node.leaf) {
      const items = node.items;
      const i = itemLowerBound(items, item.key);
      if (i < items.length && items[i]!.key === item.key) {
        box.old = items[i];
        items[i] = item;
        return undefined;
      }
      items.splice(i, 0, item);
      if (items.length <= LEAF_MAX) return undefined;
      const right: Leaf<T> = {
        leaf: true,
        items: items.splice(items.length >>> 1),
        next: node.next,
        prev: node,
      };
      if (node.next) node.next.prev = right;
      node.next = right;
      return { key: right.items[0]!.key, node: right };
    }
    const ci = childIndex(node.keys, item.key);
    const split = this.#insert(node.children[ci]!, item, box);
    if (!split) return undefined;
    node.keys.splice(ci, 0, split.key);
    node.children.splice(ci + 1, 0, split.node);
    if (node.children.length <= INNER_MAX) return undefined;
    const mid = node.keys.length >>> 1;
    const upKey = node.keys[mid]!;
    const right: Inner<T> = {
      leaf: false,
      keys: node.keys.splice(mid + 1),
      children: node.children.splice(mid + 1),
    };
    node.keys.length = mid;
    return { key: upKey, node: right };
  }

  #remove(node: Node<T>, key: string, box: { old: T | undefined }): void {
    if (node.leaf) {
      const i = itemLowerBound(node.items, key);
      if (i < node.items.length && node.items[i]!.key === key) {
        box.old = node.items[i];
        node.items.splice(i, 1);
      }
      return;
    }
    const ci = childIndex(node.keys, key);
    const child = node.children[ci]!;
    this.#remove(child, key, box);
    if (box.old === undefined) return;
    if (child.leaf ? child.items.length === 0 : child.children.length === 0) {
      if (child.leaf) unlink(child);
      node.children.splice(ci, 1);
      node.keys.splice(ci > 0 ? ci - 1 : 0, 1);
      return;
    }
    if (child.leaf && child.items.length < LEAF_MERGE && ci + 1 < node.children.length) {
      const right = node.children[ci + 1] as Leaf<T>;
      if (child.items.length + right.items.length <= LEAF_MAX) {
        for (const it of right.items) child.items.push(it);
        unlink(right);
        node.children.splice(ci + 1, 1);
        node.keys.splice(ci, 1);
      }
    }
  }
}

function unlink<T>(leaf: Leaf<T>): void {
  if (leaf.prev) leaf.prev.next = leaf.next;
  if (leaf.next) leaf.next.prev = leaf.prev;
  leaf.prev = leaf.next = null;
}
