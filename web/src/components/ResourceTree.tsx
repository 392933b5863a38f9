import type { HealthStatus, ResourceNode } from '../api-types.ts';
import { buildTree, type TreeNode } from '../tree.ts';
import { Status } from './badges.tsx';

export function ResourceTree(props: { app: string; health: HealthStatus; healthMessage?: string | undefined; items: readonly ResourceNode[]; onDiff: (key: string) => void }) {
  const roots = buildTree(props.items);
  return (
    <section aria-labelledby="tree-heading">
      <h2 id="tree-heading">Resources</h2>
      <ul class="tree">
        <li>
          <span class="node node-app" title={props.healthMessage}>
            <span class="kind">Application</span> {props.app} <Status value={props.health} title={props.healthMessage} />
          </span>
          <ul>
            {roots.map((entry) => (
              <Branch key={entry.node.key} entry={entry} onDiff={props.onDiff} />
            ))}
          </ul>
        </li>
      </ul>
      {roots.length === 0 && <p class="muted">No resources yet.</p>}
    </section>
  );
}

function Branch({ entry, onDiff }: { entry: TreeNode; onDiff: (key: string) => void }) {
  const { node } = entry;
  const reason = node.health?.message;
  const label = `${node.kind} ${node.namespace ? `${node.namespace}/` : ''}${node.name}`;
  return (
    <li data-key={node.key}>
      <span class="node" title={reason} tabIndex={reason ? 0 : undefined} aria-describedby={reason ? `reason-${node.key}` : undefined}>
        <span class="kind">{node.kind}</span> {node.name}
        {node.health && <Status value={node.health.status} title={reason} />}
        {node.status && node.status !== 'Synced' && <Status value={node.status} />}
        {node.parent === undefined && (
          <button type="button" class="link" onClick={() => onDiff(node.key)} aria-label={`Diff of ${label}`}>
            diff
          </button>
        )}
        {reason && (
          <span class="reason" role="tooltip" id={`reason-${node.key}`}>
            {reason}
          </span>
        )}
      </span>
      {entry.children.length > 0 && (
        <ul>
          {entry.children.map((child) => (
            <Branch key={child.node.key} entry={child} onDiff={onDiff} />
          ))}
        </ul>
      )}
    </li>
  );
}
