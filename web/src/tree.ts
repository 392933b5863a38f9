import type { ResourceNode } from './api-types.ts';

export interface TreeNode {
  node: ResourceNode;
  children: TreeNode[];
}

/** Nests nodes under their owners; a node whose owner is absent is a root. */
export function buildTree(items: readonly ResourceNode[]): TreeNode[] {
  const byKey = new Map<string, TreeNode>();
  for (const node of items) byKey.set(node.key, { node, children: [] });
  const roots: TreeNode[] = [];
  for (const entry of byKey.values()) {
    const parent = entry.node.parent === undefined ? undefined : byKey.get(entry.node.parent);
    (parent ? parent.children : roots).push(entry);
  }
  const order = (a: TreeNode, b: TreeNode) => a.node.kind.localeCompare(b.node.kind) || a.node.name.localeCompare(b.node.name);
  const sortAll = (list: TreeNode[]) => {
    list.sort(order);
    for (const entry of list) sortAll(entry.children);
  };
  sortAll(roots);
  return roots;
}
