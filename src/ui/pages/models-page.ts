import { html } from "htm/preact";
import { Pending } from "../components/bits.js";
import { type Column, DataTable } from "../components/data-table.js";
import { time } from "../format.js";
import { href } from "../router.js";
import { useApi } from "../use-api.js";

interface Model {
  name: string;
  description?: string;
  aliases: Record<string, number>;
  latestVersion?: number;
  updatedAt?: number;
  createdAt: number;
}

/** Registered models with their aliases and latest version. */
export function ModelsPage() {
  const models = useApi<{ items: Model[] }>("models", { limit: "1000" });
  if (!models.data) return html`<${Pending} ...${models} />`;
  const columns: Column<Model>[] = [
    { heading: "model", value: (m) => m.name, cell: (m) => html`<a href=${href("models", m.name)}>${m.name}</a>` },
    { heading: "latest", value: (m) => m.latestVersion, numeric: true },
    {
      heading: "aliases",
      value: (m) => Object.keys(m.aliases).join(","),
      cell: (m) => Object.entries(m.aliases).map(([a, v]) => html`<span class="alias">${a} → ${v}</span> `),
    },
    { heading: "updated", value: (m) => m.updatedAt ?? m.createdAt, cell: (m) => time(m.updatedAt ?? m.createdAt) },
    { heading: "description", value: (m) => m.description ?? "" },
  ];
  return html`<div>
    <h1>Model registry</h1>
    <${DataTable} columns=${columns} rows=${models.data.items} rowKey=${(m: Model) => m.name} testId="models" />
  </div>`;
}
