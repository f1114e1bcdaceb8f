import { html } from "htm/preact";
import { useState } from "preact/hooks";
import { setToken } from "./api.js";
import { ComparePage } from "./pages/compare-page.js";
import { DeploymentsPage } from "./pages/deployments-page.js";
import { FeaturesPage } from "./pages/features-page.js";
import { ModelPage } from "./pages/model-page.js";
import { ModelsPage } from "./pages/models-page.js";
import { MonitorPage } from "./pages/monitor-page.js";
import { MonitorsPage } from "./pages/monitors-page.js";
import { PipelineRunPage } from "./pages/pipeline-run-page.js";
import { PipelinesPage } from "./pages/pipelines-page.js";
import { RunPage } from "./pages/run-page.js";
import { RunsPage } from "./pages/runs-page.js";
import { type Route, useRoute } from "./router.js";

const NAV: Array<[string, string]> = [
  ["runs", "Experiments"],
  ["pipelines", "Pipelines"],
  ["models", "Registry"],
  ["features", "Features"],
  ["deployments", "Deployments"],
  ["monitors", "Monitors"],
];

function page(route: Route) {
  const [section = "runs", id] = route.parts;
  switch (section) {
    case "runs":
      return id ? html`<${RunPage} id=${id} />` : html`<${RunsPage} query=${route.query} />`;
    case "compare":
      return html`<${ComparePage} query=${route.query} />`;
    case "pipelines":
      return id ? html`<${PipelineRunPage} id=${id} />` : html`<${PipelinesPage} />`;
    case "models":
      return id
        ? html`<${ModelPage} name=${id} version=${route.query.get("version") ?? undefined} />`
        : html`<${ModelsPage} />`;
    case "features":
      return html`<${FeaturesPage} />`;
    case "deployments":
      return html`<${DeploymentsPage} />`;
    case "monitors":
      return id ? html`<${MonitorPage} name=${id} />` : html`<${MonitorsPage} />`;
    default:
      return html`<p>no page ${section}</p>`;
  }
}

/** Asks for the bearer token the API wants (kept for this tab). */
function TokenBox() {
  const [token, set] = useState("");
  return html`<form class="token" onSubmit=${(e: Event) => {
    e.preventDefault();
    setToken(token);
    location.reload();
  }}>token <input type="password" value=${token} onInput=${(e: Event) => set((e.target as HTMLInputElement).value)} /><button>use</button></form>`;
}

/** The dashboard: a navigation bar and the page of the route. */
export function App() {
  const route = useRoute();
  const section = route.parts[0] ?? "runs";
  const current = section === "compare" ? "runs" : section;
  return html`<div class="app">
    <header>
      <a class="brand" href="#/runs">mlcycle</a>
      <nav>${NAV.map(([id, label]) => html`<a href=${`#/${id}`} class=${current === id ? "active" : ""}>${label}</a>`)}</nav>
      <${TokenBox} />
    </header>
    <main key=${route.parts.join("/")}>${page(route)}</main>
  </div>`;
}
