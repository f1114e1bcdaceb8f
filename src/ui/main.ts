/** The dashboard's browser entry: bundled by tsup into dist/ui/app.js (and its styles into app.css). */
import "uplot/dist/uPlot.min.css";
import "./style.css";
import { html } from "htm/preact";
import { render } from "preact";
import { App } from "./app.js";

const root = document.getElementById("app");
if (root) render(html`<${App} />`, root);
