// Escaping for the three text formats the report module writes: HTML, XML (JUnit) and Markdown
// tables. Every string that came from a scenario, a report or a file name goes through one of these.

const HTML_ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c] ?? c)
}

/**
 * Serialises a value as JSON that is safe inside an HTML <script> element: `<`, `>` and `&` are
 * written as \u escapes (so no `</script>` or `<!--` can appear), as are U+2028/U+2029.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
}

/**
 * Makes arbitrary JavaScript source safe to inline in a <script> element: the only sequence that
 * can end the element early is `</script` (case-insensitive), and `<!--` can switch the parser into
 * an escaped state. In valid JS both can only appear inside strings, regexes or comments, where
 * `<\/` and `<\!--` mean the same.
 */
export function inlineScriptSource(source: string): string {
  return source.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--')
}

// XML 1.0 forbids most C0 control characters even as references: drop them.
// eslint-disable-next-line no-control-regex
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g

/** Escapes text for XML element content and attribute values (JUnit). */
export function escapeXml(text: string): string {
  return text
    .replace(XML_INVALID, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
}

/**
 * Escapes text for one cell of a GitHub-flavoured Markdown table (also safe from raw HTML). Only a
 * `<` that could open a tag, comment or declaration becomes `&lt;`: "p95 <= 500" stays readable
 * in the raw file, where an entity would show as "&lt;=".
 */
export function escapeMarkdownCell(text: string): string {
  return text
    .replace(/\r?\n/g, ' ')
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/<(?=[A-Za-z/!?])/g, '&lt;')
    .replace(/`/g, '\\`')
}
