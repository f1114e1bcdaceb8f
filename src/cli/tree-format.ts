import type { Colors } from "./cli-terminal.js";

/** What {@link renderTree} asks of each node: its text and its children, by id. */
export interface TreeSource {
  label(id: string): string;
  children(id: string): readonly string[];
}

/**
 * A graph drawn as a tree from its roots, with box-drawing branches (`├──`, `└──`, `│`). A node
 * reached a second time (a graph is not a tree: a step with two inputs, an artifact read by two
 * runs) is printed with `(↑ above)` and not expanded again, so every node's subtree is drawn once
 * and a cycle cannot loop.
 *
 * @example
 * ```ts
 * renderTree(["a"], { label: (id) => id, children: (id) => (id === "a" ? ["b", "c"] : []) });
 * // a
 * // ├── b
 * // └── c
 * ```
 */
export function renderTree(roots: readonly string[], source: TreeSource, color?: Colors): string[] {
  const lines: string[] = [];
  const seen = new Set<string>();
  const dim = color?.dim ?? ((s: string) => s);
  const visit = (id: string, prefix: string, branch: string, last: boolean) => {
    const again = seen.has(id);
    lines.push(`${prefix}${dim(branch)}${source.label(id)}${again ? dim(" (↑ above)") : ""}`);
    if (again) return;
    seen.add(id);
    const children = source.children(id);
    const below = branch === "" ? prefix : prefix + (last ? "    " : dim("│   "));
    children.forEach((child, i) => {
      const isLast = i === children.length - 1;
      visit(child, below, isLast ? "└── " : "├── ", isLast);
    });
  };
  for (const root of roots) visit(root, "", "", true);
  return lines;
}
