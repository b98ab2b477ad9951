/**
 * A persistent (immutable, path-copying) treap keyed by string: the model's key space.
 *
 * Every update returns a new root and shares all untouched nodes with the old one, so the
 * checker can keep every state on its backtracking stack for the price of O(log n) nodes per
 * write. Priorities come from a hash of the key, so a set of keys always has the same shape.
 * Keys compare as JavaScript strings (UTF-16 code units), which is byte order for binary
 * strings and ASCII. Keys are never removed (the model keeps tombstones).
 *
 * @module
 */

import { hashString32 } from "./_hash.ts";

/** One node; `undefined` is the empty tree. */
export interface TreeNode<V> {
  readonly key: string;
  readonly value: V;
  readonly prio: number;
  readonly left: Tree<V>;
  readonly right: Tree<V>;
}

/** A tree: a root node or `undefined` when empty. */
export type Tree<V> = TreeNode<V> | undefined;

/** The value at `key`, or `undefined`. */
export function treeGet<V>(tree: Tree<V>, key: string): V | undefined {
  let n = tree;
  while (n) {
    if (key === n.key) return n.value;
    n = key < n.key ? n.left : n.right;
  }
  return undefined;
}

function node<V>(key: string, value: V, prio: number, left: Tree<V>, right: Tree<V>): TreeNode<V> {
  return { key, value, prio, left, right };
}

function insert<V>(n: Tree<V>, key: string, value: V, prio: number): TreeNode<V> {
  if (!n) return node(key, value, prio, undefined, undefined);
  if (key === n.key) return node(key, value, n.prio, n.left, n.right);
  if (key < n.key) {
    const l = insert(n.left, key, value, prio);
    if (l.prio > n.prio) {
      return node(l.key, l.value, l.prio, l.left, node(n.key, n.value, n.prio, l.right, n.right));
    }
    return node(n.key, n.value, n.prio, l, n.right);
  }
  const r = insert(n.right, key, value, prio);
  if (r.prio > n.prio) {
    return node(r.key, r.value, r.prio, node(n.key, n.value, n.prio, n.left, r.left), r.right);
  }
  return node(n.key, n.value, n.prio, n.left, r);
}

/** A new tree with `key` set to `value`; `tree` is unchanged. */
export function treeSet<V>(tree: Tree<V>, key: string, value: V): TreeNode<V> {
  return insert(tree, key, value, hashString32(key));
}

/**
 * Calls `visit` for every key in `[lo, hi)` in ascending order (`hi` undefined: no upper
 * bound) until it returns `false`.
 */
export function treeRange<V>(
  tree: Tree<V>,
  lo: string,
  hi: string | undefined,
  visit: (key: string, value: V) => boolean | void,
): void {
  const stack: TreeNode<V>[] = [];
  let n = tree;
  for (;;) {
    while (n) {
      if (n.key < lo) {
        n = n.right;
        continue;
      }
      stack.push(n);
      n = n.left;
    }
    const top = stack.pop();
    if (!top) return;
    if (hi !== undefined && top.key >= hi) return;
    if (visit(top.key, top.value) === false) return;
    n = top.right;
  }
}
