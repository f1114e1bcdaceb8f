import { html } from "htm/preact";
import type { ComponentChild } from "preact";

/** Inline markdown: `code`, **bold**, *emphasis*; text stays text (nothing becomes HTML). */
function inline(text: string): ComponentChild[] {
  const out: ComponentChild[] = [];
  const re = /(`[^`]+`|\*\*[^*]+\*\*|\*[^*]+\*)/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    const t = m[0];
    if (t.startsWith("`")) out.push(html`<code>${t.slice(1, -1)}</code>`);
    else if (t.startsWith("**")) out.push(html`<strong>${t.slice(2, -2)}</strong>`);
    else out.push(html`<em>${t.slice(1, -1)}</em>`);
    last = m.index + t.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

/**
 * A model card's markdown rendered: headings, paragraphs, bullet lists, tables and inline code,
 * built as elements (never as HTML text, so a card cannot inject markup).
 */
export function Markdown(props: { text: string }) {
  const blocks: ComponentChild[] = [];
  const lines = props.text.split(/\r?\n/);
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    const heading = /^(#{1,4})\s+(.*)$/.exec(line);
    if (heading) {
      const level = Math.min(6, heading[1].length + 2);
      blocks.push(
        html`<div class=${`md-h md-h${level}`} role="heading" aria-level=${level}>${inline(heading[2])}</div>`,
      );
      i++;
    } else if (/^\s*[-*]\s+/.test(line)) {
      const items: string[] = [];
      while (i < lines.length && /^\s*[-*]\s+/.test(lines[i])) items.push(lines[i++].replace(/^\s*[-*]\s+/, ""));
      blocks.push(html`<ul>${items.map((t) => html`<li>${inline(t)}</li>`)}</ul>`);
    } else if (/^\s*\|/.test(line)) {
      const rows: string[][] = [];
      while (i < lines.length && /^\s*\|/.test(lines[i])) {
        const cells = lines[i++]
          .trim()
          .replace(/^\||\|$/g, "")
          .split("|")
          .map((c) => c.trim());
        if (!cells.every((c) => /^:?-+:?$/.test(c))) rows.push(cells);
      }
      const [head, ...body] = rows;
      blocks.push(html`<table class="md-table"><thead><tr>${head.map((c) => html`<th>${inline(c)}</th>`)}</tr></thead>
        <tbody>${body.map((r) => html`<tr>${r.map((c) => html`<td>${inline(c)}</td>`)}</tr>`)}</tbody></table>`);
    } else if (line.trim() === "") {
      i++;
    } else {
      const para: string[] = [];
      while (i < lines.length && lines[i].trim() !== "" && !/^(#{1,4}\s|\s*[-*]\s|\s*\|)/.test(lines[i]))
        para.push(lines[i++]);
      blocks.push(html`<p>${inline(para.join(" "))}</p>`);
    }
  }
  return html`<div class="markdown">${blocks}</div>`;
}
