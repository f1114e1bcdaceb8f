import { html } from "htm/preact";
import type { ComponentChild } from "preact";
import type { ApiError } from "../api.js";
import { num } from "../format.js";

/** A status as a coloured badge (`succeeded`, `failed`, `open`…). */
export const Status = (props: { value: string | undefined }) =>
  html`<span class=${`badge badge-${props.value ?? "none"}`}>${props.value ?? ""}</span>`;

/** A key → value list (params, tags, metrics). */
export function KeyValues(props: { values: Record<string, unknown> | undefined; empty?: string }) {
  const entries = Object.entries(props.values ?? {}).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return html`<p class="muted">${props.empty ?? "none"}</p>`;
  return html`<table class="kv">
    <tbody>${entries.map(([k, v]) => html`<tr><th>${k}</th><td>${typeof v === "object" ? JSON.stringify(v) : num(v)}</td></tr>`)}</tbody>
  </table>`;
}

/** A section with a heading. */
export const Section = (props: { title: string; children?: ComponentChild }) =>
  html`<section><h2>${props.title}</h2>${props.children}</section>`;

/** What a page shows while it reads, or when the read failed. */
export function Pending(props: { error?: ApiError; loading: boolean }) {
  if (props.error) return html`<p class="error" role="alert">${props.error.message}</p>`;
  return html`<p class="muted">loading…</p>`;
}
