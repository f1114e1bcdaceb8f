import { html } from "htm/preact";
import { useState } from "preact/hooks";
import { post } from "../api.js";
import { KeyValues, Pending, Section } from "../components/bits.js";
import { time } from "../format.js";
import { href } from "../router.js";
import { useApi } from "../use-api.js";
import { VersionPanel } from "./version-panel.js";

interface Version {
  version: number;
  flavor: string;
  digest: string;
  runId?: string;
  metrics: Record<string, number>;
  aliases: string[];
  description: string;
  createdAt: number;
  createdBy?: string;
}

interface Move {
  alias: string;
  action: string;
  from?: number;
  to?: number;
  actor: string;
  reason?: string;
  at: number;
}

/** A registered model: versions, aliases (promote and roll back when writes are on), the audit trail, a version's detail. */
export function ModelPage(props: { name: string; version?: string }) {
  const model = useApi<{
    model: { name: string; aliases: Record<string, number>; description?: string };
    versions: Version[];
    audit: Move[];
  }>(`models/${encodeURIComponent(props.name)}`);
  const info = useApi<{ writes: boolean }>("info");
  const writes = info.data?.writes === true;
  const [message, setMessage] = useState("");
  if (!model.data) return html`<${Pending} ...${model} />`;
  const { versions, audit } = model.data;
  const aliases = model.data.model.aliases;
  const shown = props.version ?? String(versions[versions.length - 1]?.version ?? "");
  const write = (path: string, body: unknown) =>
    post(path, body).then(
      () => {
        setMessage("done");
        model.reload();
      },
      (e: Error) => setMessage(e.message),
    );
  const base = `models/${encodeURIComponent(props.name)}/aliases`;
  return html`<div>
    <p class="crumbs"><a href="#/models">registry</a> / ${props.name}</p>
    <h1>${props.name}</h1>
    ${model.data.model.description ? html`<p>${model.data.model.description}</p>` : null}
    <${Section} title="Aliases">
      <table data-testid="aliases">
        <thead><tr><th>alias</th><th class="num">version</th><th></th></tr></thead>
        <tbody>${Object.entries(aliases).map(
          ([a, v]) => html`<tr><td>${a}</td><td class="num">${v}</td>
            <td>${writes ? html`<button onClick=${() => write(`${base}/${encodeURIComponent(a)}/rollback`, {})}>roll back</button>` : null}</td></tr>`,
        )}</tbody>
      </table>
      ${info.data === undefined || writes ? null : html`<p class="muted" data-testid="read-only">read-only: start with --writes (writes: true) to promote and roll back here</p>`}
      ${message ? html`<p class="muted" role="status">${message}</p>` : null}
    <//>
    <${Section} title="Versions">
      <table data-testid="versions">
        <thead><tr><th>version</th><th>aliases</th><th>flavor</th><th>metrics</th><th>created</th><th>by</th><th></th></tr></thead>
        <tbody>${versions.map(
          (v) => html`<tr class=${String(v.version) === shown ? "selected" : ""}>
            <td><a href=${`${href("models", props.name)}?version=${v.version}`}>v${v.version}</a></td>
            <td>${v.aliases.map((a) => html`<span class="alias">${a}</span> `)}</td><td>${v.flavor}</td>
            <td><${KeyValues} values=${v.metrics} /></td><td>${time(v.createdAt)}</td><td>${v.createdBy ?? ""}</td>
            <td>${Object.keys(aliases).map((a) => (!writes || aliases[a] === v.version ? null : html`<button onClick=${() => write(`${base}/${encodeURIComponent(a)}`, { version: v.version })}>make ${a}</button>`))}</td>
          </tr>`,
        )}</tbody>
      </table>
    <//>
    <${Section} title="Audit trail">
      <table data-testid="audit">
        <thead><tr><th>when</th><th>alias</th><th>move</th><th>who</th><th>why</th></tr></thead>
        <tbody>${audit.map(
          (m) =>
            html`<tr><td>${time(m.at)}</td><td>${m.alias}</td><td>${m.action} ${m.from ?? "∅"} → ${m.to ?? "∅"}</td><td>${m.actor}</td><td>${m.reason ?? ""}</td></tr>`,
        )}</tbody>
      </table>
    <//>
    ${shown ? html`<${VersionPanel} name=${props.name} version=${shown} />` : null}
  </div>`;
}
