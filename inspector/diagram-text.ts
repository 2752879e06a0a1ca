/**
 * Text as the diagrams take it in their labels, whatever a name holds (quotes, backslashes, line
 * breaks, markup): Graphviz's string literals, Mermaid's state-diagram labels, and Mermaid's quoted
 * flowchart labels, which it reads as HTML.
 *
 * @example
 * ```ts
 * dotString('say "hi"');        // "say \"hi\""
 * mermaidStateText('a: b');     // a b
 * mermaidLabelText('<0.1.1>');  // #60;0.1.1#62;
 * ```
 */

/** Text inside a DOT string literal: backslashes and quotes escaped, line breaks as DOT's `\n`. */
export function dotText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n');
}

/** A DOT string literal. */
export function dotString(text: string): string {
  return `"${dotText(text)}"`;
}

/**
 * Text a Mermaid state diagram shows as it is: its own syntax characters and line breaks turned into
 * spaces; `(blank)` for text left empty, which Mermaid refuses.
 */
export function mermaidStateText(text: string): string {
  const shown = text
    .replace(/[:;"{}]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return shown === '' ? '(blank)' : shown;
}

/**
 * Text inside a quoted Mermaid flowchart label, which Mermaid reads as HTML: quotes and markup as
 * entity codes, line breaks as spaces, and a space for empty text, which Mermaid refuses.
 */
export function mermaidLabelText(text: string): string {
  const shown = text.replace(/\s+/g, ' ').replace(/[&<>"#]/g, (character) => `#${character.charCodeAt(0)};`);
  return shown === '' ? ' ' : shown;
}
