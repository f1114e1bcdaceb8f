import { invalid, MlcycleError } from "../core/errors.js";
import { checkText } from "../core/validation.js";
import type {
  ComparisonOp,
  FilterNode,
  RunAttribute,
  RunField,
  RunFieldKind,
  RunOrder,
  RunStatus,
} from "./tracking-store.js";

/**
 * The run filter language, MLflow's with OR and parentheses added:
 *
 * ```text
 * filter     := or
 * or         := and ("OR" and)*
 * and        := primary ("AND" primary)*
 * primary    := "(" or ")" | condition
 * condition  := field op value
 *             | field ["NOT"] ("LIKE" | "ILIKE") string
 *             | field ["NOT"] "IN" "(" value ("," value)* ")"
 *             | field "IS" ["NOT"] "NULL"
 * field      := ("metrics" | "params" | "tags" | "attributes" | "datasets") "." key   (key: bare, `backticked` or "quoted")
 * op         := "=" | "!=" | "<>" | ">" | ">=" | "<" | "<="
 * value      := 'string' | "string" | number
 * ```
 *
 * Keywords are case-insensitive. A quote inside a string is doubled (`'it''s'`) or escaped (`'it\'s'`);
 * any other backslash is kept as written, so `LIKE 'ml\%%'` reaches the pattern with its escape. Metrics compare to
 * numbers; params and tags to strings; attributes `start_time`/`end_time` to numbers and
 * `run_id`, `run_name`, `status`, `experiment_id`, `parent_run_id` to strings; `datasets.name`,
 * `datasets.digest` and `datasets.context` to strings, matching when any dataset input of the run does.
 * MLflow's spellings are accepted: `created` for `start_time`, `` `Run name` `` for `run_name`, and
 * statuses in any case (`'FINISHED'`); an unknown status value is refused. `IS NULL` holds when the
 * run lacks the field (a NaN metric is present, so it is not NULL).
 */

type TokenType = "ident" | "string" | "number" | "op" | "lparen" | "rparen" | "comma" | "eof";

interface Token {
  type: TokenType;
  text: string;
  /** The decoded value for strings and numbers. */
  value?: string | number;
  /** 0-based character offset in the source. */
  pos: number;
  /** The identifier was quoted (so it is never a keyword). */
  quoted?: boolean;
}

const FIELD_PREFIXES: Record<string, RunFieldKind> = {
  metric: "metric",
  metrics: "metric",
  param: "param",
  params: "param",
  parameter: "param",
  parameters: "param",
  tag: "tag",
  tags: "tag",
  attribute: "attribute",
  attributes: "attribute",
  attr: "attribute",
  run: "attribute",
  dataset: "dataset",
  datasets: "dataset",
};

const DATASET_FIELDS = new Set(["name", "digest", "context"]);

const ATTRIBUTE_ALIASES: Record<string, RunAttribute> = {
  run_id: "run_id",
  id: "run_id",
  run_name: "run_name",
  name: "run_name",
  status: "status",
  start_time: "start_time",
  created: "start_time",
  "run name": "run_name",
  end_time: "end_time",
  experiment_id: "experiment_id",
  parent_run_id: "parent_run_id",
};

const NUMERIC_ATTRIBUTES = new Set<RunAttribute>(["start_time", "end_time"]);

/** Every status a run reads as; filters compare them case-insensitively. */
const RUN_STATUSES: readonly RunStatus[] = ["running", "finished", "failed", "killed", "crashed"];

const isStatus = (f: RunField) => f.kind === "attribute" && f.key === "status";

/** A VALIDATION error pointing at a character of the filter. */
function syntaxError(source: string, pos: number, message: string, what = "filter"): MlcycleError {
  const near = source.slice(pos, pos + 20);
  return new MlcycleError(
    "VALIDATION",
    `${what} is invalid at position ${pos + 1}: ${message}${pos < source.length ? ` (near '${near}')` : " (at end)"}`,
    { issues: [{ code: "invalid_filter", path: [what, pos], message }], details: { position: pos, source } },
  );
}

const isIdentStart = (c: string) => /[A-Za-z_]/.test(c);
const isIdentPart = (c: string) => /[A-Za-z0-9_.\-:/@]/.test(c);

function tokenize(source: string, what: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === "(") {
      tokens.push({ type: "lparen", text: c, pos: i++ });
    } else if (c === ")") {
      tokens.push({ type: "rparen", text: c, pos: i++ });
    } else if (c === ",") {
      tokens.push({ type: "comma", text: c, pos: i++ });
    } else if (c === "'" || c === '"' || c === "`") {
      let out = "";
      i++;
      for (;;) {
        if (i >= source.length) throw syntaxError(source, start, `unterminated ${c}-quoted text`, what);
        const d = source[i];
        if (d === "\\" && source[i + 1] === c) {
          out += c;
          i += 2;
        } else if (d === c && source[i + 1] === c) {
          out += c;
          i += 2;
        } else if (d === c) {
          i++;
          break;
        } else {
          out += d;
          i++;
        }
      }
      // Backticks always quote an identifier part; other quotes after "prefix." do too.
      const prev = tokens[tokens.length - 1];
      const joinsField = prev?.type === "ident" && prev.text.endsWith(".") && prev.pos + prev.text.length === start;
      if (c === "`" || joinsField) {
        if (joinsField) {
          prev.text += out;
          prev.quoted = true;
        } else tokens.push({ type: "ident", text: out, pos: start, quoted: true });
      } else {
        tokens.push({ type: "string", text: source.slice(start, i), value: out, pos: start });
      }
    } else if (/[0-9]/.test(c) || ((c === "-" || c === "+" || c === ".") && /[0-9.]/.test(source[i + 1] ?? ""))) {
      const m = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/.exec(source.slice(i));
      if (!m) throw syntaxError(source, i, "malformed number", what);
      i += m[0].length;
      if (i < source.length && isIdentPart(source[i]) && source[i] !== "-")
        throw syntaxError(source, start, `malformed number '${source.slice(start, i + 1)}'`, what);
      tokens.push({ type: "number", text: m[0], value: Number(m[0]), pos: start });
    } else if (c === "-" && /[Ii]/.test(source[i + 1] ?? "") && /^-inf(inity)?\b/i.test(source.slice(i))) {
      const m = /^-inf(inity)?/i.exec(source.slice(i))!;
      i += m[0].length;
      tokens.push({ type: "number", text: m[0], value: Number.NEGATIVE_INFINITY, pos: start });
    } else if (isIdentStart(c)) {
      while (i < source.length && isIdentPart(source[i])) i++;
      tokens.push({ type: "ident", text: source.slice(start, i), pos: start });
    } else if (c === "!" && source[i + 1] === "=") {
      tokens.push({ type: "op", text: "!=", pos: start });
      i += 2;
    } else if (c === "<" && source[i + 1] === ">") {
      tokens.push({ type: "op", text: "!=", pos: start });
      i += 2;
    } else if ((c === "<" || c === ">") && source[i + 1] === "=") {
      tokens.push({ type: "op", text: `${c}=`, pos: start });
      i += 2;
    } else if (c === "<" || c === ">" || c === "=") {
      tokens.push({ type: "op", text: c === "=" && source[i + 1] === "=" ? "=" : c, pos: start });
      i += c === "=" && source[i + 1] === "=" ? 2 : 1;
    } else {
      throw syntaxError(source, i, `unexpected character '${c}'`, what);
    }
  }
  tokens.push({ type: "eof", text: "", pos: source.length });
  return tokens;
}

/** Deepest parenthesis nesting accepted (the parser is recursive). */
const MAX_DEPTH = 64;
/** Most values in one IN list (each is a bound SQL parameter). */
const MAX_IN_VALUES = 1000;
/** Most conditions in one filter (each costs a few bound SQL parameters). */
const MAX_CONDITIONS = 200;

class Parser {
  private i = 0;
  private depth = 0;
  private conditions = 0;
  constructor(
    private readonly source: string,
    private readonly tokens: Token[],
    private readonly what: string,
  ) {}

  private peek(): Token {
    return this.tokens[this.i];
  }
  private next(): Token {
    return this.tokens[this.i++];
  }
  private keyword(t: Token, word: string): boolean {
    return t.type === "ident" && !t.quoted && t.text.toLowerCase() === word;
  }
  private fail(t: Token, message: string): MlcycleError {
    return syntaxError(this.source, t.pos, message, this.what);
  }

  parseFilter(): FilterNode {
    const node = this.parseOr();
    const t = this.peek();
    if (t.type !== "eof") throw this.fail(t, `expected AND, OR or the end, found '${t.text}'`);
    return node;
  }

  private parseOr(): FilterNode {
    const children = [this.parseAnd()];
    while (this.keyword(this.peek(), "or")) {
      this.next();
      children.push(this.parseAnd());
    }
    return children.length === 1 ? children[0] : { type: "or", children };
  }

  private parseAnd(): FilterNode {
    const children = [this.parsePrimary()];
    while (this.keyword(this.peek(), "and")) {
      this.next();
      children.push(this.parsePrimary());
    }
    return children.length === 1 ? children[0] : { type: "and", children };
  }

  private parsePrimary(): FilterNode {
    const t = this.peek();
    if (t.type === "lparen") {
      this.next();
      if (++this.depth > MAX_DEPTH) throw this.fail(t, `parentheses nest deeper than ${MAX_DEPTH} levels`);
      const inner = this.parseOr();
      this.depth--;
      const close = this.next();
      if (close.type !== "rparen") throw this.fail(close, `expected ')' to close the '(' at position ${t.pos + 1}`);
      return inner;
    }
    return this.parseCondition();
  }

  parseField(): { field: RunField; token: Token } {
    const t = this.next();
    if (t.type !== "ident" || this.isReserved(t))
      throw this.fail(
        t,
        t.type === "eof"
          ? "expected a condition such as metrics.acc > 0.9"
          : `expected a field (metrics.<key>, params.<key>, tags.<key> or attributes.<name>), found '${t.text}'`,
      );
    const dot = t.text.indexOf(".");
    const prefix = dot < 0 ? "" : t.text.slice(0, dot).toLowerCase();
    const key = dot < 0 ? t.text : t.text.slice(dot + 1);
    const kind = FIELD_PREFIXES[prefix];
    if (!kind)
      throw this.fail(
        t,
        `'${t.text}' must start with metrics., params., tags., attributes. or datasets. (e.g. metrics.${t.text || "acc"})`,
      );
    if (!key) throw this.fail(t, `'${t.text}' names no key`);
    if (kind === "attribute") {
      const attr = ATTRIBUTE_ALIASES[key.toLowerCase()];
      if (!attr) throw this.fail(t, `unknown attribute '${key}'; known: ${Object.keys(ATTRIBUTE_ALIASES).join(", ")}`);
      return { field: { kind, key: attr }, token: t };
    }
    if (kind === "dataset") {
      const f = key.toLowerCase();
      if (!DATASET_FIELDS.has(f)) throw this.fail(t, `unknown dataset field '${key}'; known: name, digest, context`);
      return { field: { kind, key: f }, token: t };
    }
    return { field: { kind, key }, token: t };
  }

  private isReserved(t: Token): boolean {
    return ["and", "or", "not", "in", "like", "ilike"].some((w) => this.keyword(t, w));
  }

  private parseCondition(): FilterNode {
    if (++this.conditions > MAX_CONDITIONS)
      throw this.fail(this.peek(), `a filter takes at most ${MAX_CONDITIONS} conditions`);
    const { field, token } = this.parseField();
    let t = this.next();
    let negated = false;
    if (this.keyword(t, "not")) {
      negated = true;
      t = this.next();
      if (!this.keyword(t, "in") && !this.keyword(t, "like") && !this.keyword(t, "ilike"))
        throw this.fail(t, "expected IN, LIKE or ILIKE after NOT");
    }
    if (!negated && this.keyword(t, "is")) {
      if (field.kind === "dataset")
        throw this.fail(t, `IS NULL applies to metrics, params, tags and attributes, not ${fieldName(field)}`);
      let v = this.next();
      const isNot = this.keyword(v, "not");
      if (isNot) v = this.next();
      if (!this.keyword(v, "null")) throw this.fail(v, `expected NULL or NOT NULL after IS`);
      return { type: "null", field, negated: isNot };
    }
    if (this.keyword(t, "like") || this.keyword(t, "ilike")) {
      // Statuses are stored in lower case and matched in any case, as MLflow's upper-case spelling.
      const caseInsensitive = this.keyword(t, "ilike") || isStatus(field);
      if (!isStringField(field))
        throw this.fail(
          t,
          `${t.text.toUpperCase()} applies to params, tags and text attributes, not ${fieldName(field)}`,
        );
      const v = this.next();
      if (v.type !== "string") throw this.fail(v, `expected a quoted pattern after ${t.text.toUpperCase()}`);
      return { type: "like", field, pattern: v.value as string, caseInsensitive, negated };
    }
    if (this.keyword(t, "in")) {
      const open = this.next();
      if (open.type !== "lparen") throw this.fail(open, "expected '(' after IN");
      const values: Array<string | number> = [];
      for (;;) {
        values.push(this.parseValue(field, token));
        if (values.length > MAX_IN_VALUES)
          throw this.fail(this.tokens[this.i - 1], `an IN list takes at most ${MAX_IN_VALUES} values`);
        const sep = this.next();
        if (sep.type === "rparen") break;
        if (sep.type !== "comma") throw this.fail(sep, "expected ',' or ')' in the IN list");
      }
      return { type: "in", field, values, negated };
    }
    if (t.type !== "op")
      throw this.fail(
        t,
        t.type === "eof"
          ? `expected an operator after ${fieldName(field)}`
          : `expected an operator (=, !=, >, >=, <, <=, LIKE, ILIKE, IN, IS NULL) after ${fieldName(field)}, found '${t.text}'`,
      );
    const value = this.parseValue(field, token);
    return { type: "compare", field, op: t.text as ComparisonOp, value };
  }

  private parseValue(field: RunField, fieldToken: Token): string | number {
    const v = this.next();
    const numeric = isNumericField(field);
    if (numeric) {
      if (v.type === "number") return v.value as number;
      if (v.type === "ident" && !v.quoted && /^(nan|inf|infinity)$/i.test(v.text))
        return /^nan$/i.test(v.text) ? Number.NaN : Number.POSITIVE_INFINITY;
      if (v.type === "string" && field.kind === "attribute" && v.value !== "" && Number.isFinite(Number(v.value)))
        return Number(v.value);
      throw this.fail(v, `${fieldName(field)} compares to numbers; found '${v.text || "the end"}'`);
    }
    if (v.type === "string") {
      if (!isStatus(field)) return v.value as string;
      const status = (v.value as string).toLowerCase();
      if (!(RUN_STATUSES as readonly string[]).includes(status))
        throw this.fail(
          v,
          `unknown status '${v.value as string}'; allowed: ${RUN_STATUSES.join(", ")} (any case, e.g. 'FINISHED')`,
        );
      return status;
    }
    if (v.type === "number")
      throw this.fail(
        v,
        `${fieldName(field)} compares as text: quote the value ('${v.text}') — ${fieldToken.text} holds strings`,
      );
    throw this.fail(v, `expected a quoted value for ${fieldName(field)}, found '${v.text || "the end"}'`);
  }
}

function isNumericField(f: RunField): boolean {
  return f.kind === "metric" || (f.kind === "attribute" && NUMERIC_ATTRIBUTES.has(f.key as RunAttribute));
}

function isStringField(f: RunField): boolean {
  return !isNumericField(f);
}

/** `metrics.acc`, `params.model`, ``metrics.`val loss` ``, … as written in the language. */
export function fieldName(f: RunField): string {
  const prefix = { metric: "metrics", param: "params", tag: "tags", attribute: "attributes", dataset: "datasets" }[
    f.kind
  ];
  return /^[A-Za-z_][A-Za-z0-9_.\-:/@]*$/.test(f.key)
    ? `${prefix}.${f.key}`
    : `${prefix}.\`${f.key.replaceAll("`", "``")}\``;
}

const MAX_ORDER_TERMS = 100;

function describeType(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
}

/**
 * Parses a run filter to its AST; a blank filter is `undefined`. A malformed filter is a
 * `VALIDATION` error naming the 1-based character position.
 *
 * @example
 * ```ts
 * parseRunFilter("metrics.acc > 0.9 and (params.model = 'rf' or tags.team LIKE 'ml%')");
 * ```
 */
export function parseRunFilter(source: string | undefined): FilterNode | undefined {
  if (source === undefined) return undefined;
  if (typeof source !== "string")
    throw invalid(["filter"], `must be a string such as "metrics.acc > 0.9", got ${describeType(source)}`);
  checkText("filter", source);
  if (source.trim() === "") return undefined;
  if (source.length > 100_000) throw syntaxError(source, 100_000, "the filter is longer than 100000 characters");
  const parser = new Parser(source, tokenize(source, "filter"), "filter");
  return parser.parseFilter();
}

/**
 * Parses order-by terms such as `metrics.acc DESC`, `attributes.start_time`, `params.lr ASC`.
 *
 * @example
 * ```ts
 * parseRunOrder(["metrics.acc DESC", "params.model"]);
 * ```
 */
export function parseRunOrder(terms: string | readonly string[] | undefined): RunOrder[] {
  if (terms === undefined) return [];
  if (typeof terms !== "string" && !Array.isArray(terms))
    throw invalid(
      ["orderBy"],
      `must be a string or a list of strings such as "metrics.acc DESC", got ${describeType(terms)}`,
    );
  const list: readonly unknown[] = typeof terms === "string" ? [terms] : terms;
  if (list.length > MAX_ORDER_TERMS)
    throw invalid(["orderBy"], `has ${list.length} terms; at most ${MAX_ORDER_TERMS} are allowed`, "too_big");
  return list.map((term, n) => {
    const what = `orderBy[${n}]`;
    if (typeof term !== "string") throw invalid(["orderBy", n], `must be a string, got ${describeType(term)}`);
    checkText(what, term, 10_000);
    const tokens = tokenize(term, what);
    const parser = new Parser(term, tokens, what);
    const { field } = parser.parseField();
    if (field.kind === "dataset")
      throw syntaxError(term, 0, "runs cannot be ordered by dataset fields (a run may have several inputs)", what);
    let descending = false;
    let i = 1;
    const dir = tokens[i];
    if (dir.type === "ident" && /^(asc|desc)$/i.test(dir.text)) {
      descending = dir.text.toLowerCase() === "desc";
      i++;
    }
    if (tokens[i].type !== "eof")
      throw syntaxError(term, tokens[i].pos, `expected ASC, DESC or the end, found '${tokens[i].text}'`, what);
    return { field, descending };
  });
}
